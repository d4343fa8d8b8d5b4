-- AtendeBem replica schema v1.
-- Documents are automerge CRDT documents: a snapshot plus the incremental changes saved since.
-- Everything else here is a local index rebuilt from the documents, or local bookkeeping.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE documents (
    doc_key        TEXT PRIMARY KEY,      -- "registry/<uuid>", "chart/<uuid>", "agenda/<uuid>/2026-11"
    kind           TEXT NOT NULL,
    snapshot       BLOB NOT NULL,
    change_count   INTEGER NOT NULL DEFAULT 0,
    updated_at_ms  INTEGER NOT NULL
) STRICT;

CREATE TABLE document_changes (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_key        TEXT NOT NULL REFERENCES documents (doc_key),
    data           BLOB NOT NULL,
    created_at_ms  INTEGER NOT NULL
) STRICT;
CREATE INDEX document_changes_by_doc ON document_changes (doc_key, seq);

CREATE TABLE users (
    user_id          TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    role             TEXT NOT NULL,
    professional_id  TEXT,
    active           INTEGER NOT NULL DEFAULT 1,
    created_at_ms    INTEGER NOT NULL
) STRICT;

CREATE TABLE professionals (
    professional_id  TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    data             TEXT NOT NULL        -- JSON of shared_model::registry::Professional
) STRICT;

CREATE TABLE patient_index (
    patient_id     TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    social_name    TEXT,
    cpf            TEXT,                   -- 11 digits
    cns            TEXT,                   -- 15 digits
    birth_date     TEXT,                   -- YYYY-MM-DD
    sort_key       TEXT NOT NULL,          -- display name folded (lower case, no accents) for ordering
    updated_at_ms  INTEGER NOT NULL
) STRICT;
CREATE INDEX patient_index_by_sort ON patient_index (sort_key);
CREATE INDEX patient_index_by_cpf ON patient_index (cpf);

-- Accent- and case-insensitive search: unicode61 folds case and removes diacritics
-- ("joao" matches "João"); CPF and CNS are indexed as digit strings. Each row's rowid is the
-- rowid of the patient's patient_index row (FTS5 finds rows by rowid, not by other columns).
-- Results are ordered by patient_index.sort_key, never ranked, so FTS5 keeps no column sizes
-- (columnsize=0) and no token positions (detail=column): fewer pages written per patient.
CREATE VIRTUAL TABLE patient_search USING fts5 (
    name,
    social_name,
    cpf,
    cns,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3',
    columnsize = 0,
    detail = column
);

CREATE TABLE appointment_index (
    appointment_id   TEXT PRIMARY KEY,
    doc_key          TEXT NOT NULL,
    professional_id  TEXT NOT NULL,
    patient_id       TEXT NOT NULL,
    local_day        TEXT NOT NULL,       -- YYYY-MM-DD in the clinic's time zone
    start_ms         INTEGER NOT NULL,
    end_ms           INTEGER NOT NULL,
    status           TEXT NOT NULL
) STRICT;
CREATE INDEX appointment_index_by_day ON appointment_index (local_day, professional_id, start_ms);
CREATE INDEX appointment_index_by_patient ON appointment_index (patient_id, start_ms);

-- Local audit trail (NGS1.07): append-only, no patient data in its text (NGS1.07.06).
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   TEXT NOT NULL,
    at_ms      INTEGER NOT NULL,
    user_id    TEXT,
    device_id  TEXT NOT NULL,
    action     TEXT NOT NULL,
    record     TEXT
) STRICT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
