-- Chart projection: every version of every clinical entry, as JSON, per patient. Derived from
-- the chart documents (rebuilt by `Clinic::rebuild_indexes`); opening a chart reads it instead of
-- hydrating the whole automerge document.
CREATE TABLE chart_entry_index (
    entry_id    TEXT PRIMARY KEY,
    patient_id  TEXT NOT NULL,
    data        TEXT NOT NULL          -- JSON of shared_model::charting::ClinicalEntry
) STRICT;
CREATE INDEX chart_entry_index_by_patient ON chart_entry_index (patient_id);
