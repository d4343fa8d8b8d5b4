-- Sync: CRDT documents and their change log, conflicts, relational projections.
--
-- The change log is append-only (clinical records are never deleted, only versioned: CFM 1.821,
-- Lei 13.787); the app role gets no UPDATE or DELETE on it. `documents.snapshot` is a compacted
-- copy of the document up to `snapshot_seq`, rewritten as changes accumulate; the log keeps every
-- change, so the history can always be replayed.

-- One row per tenant: the last sequence number of its change log. Its row lock orders pushes, so
-- sequence order is commit order and a device's cursor never skips a late commit.
CREATE TABLE sync_heads (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants (id),
    seq        bigint NOT NULL DEFAULT 0
);

CREATE TABLE documents (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    doc_key         text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('registry', 'chart', 'agenda')),
    epoch           integer NOT NULL DEFAULT 0,
    snapshot        bytea NOT NULL,
    snapshot_seq    bigint NOT NULL,
    last_seq        bigint NOT NULL,
    changes_since_snapshot integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, doc_key)
);
CREATE INDEX documents_kind ON documents (tenant_id, kind, doc_key);

CREATE TABLE document_changes (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    seq          bigint NOT NULL,
    doc_key      text NOT NULL,
    kind         text NOT NULL,
    -- automerge changes (`save_after` the server's previous heads): only what was new.
    data         bytea NOT NULL,
    change_count integer NOT NULL,
    user_id      uuid NOT NULL,
    device_id    uuid NOT NULL,
    -- Server time at receipt (NGS1.09.01); the changes carry the device's own time.
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, seq),
    FOREIGN KEY (tenant_id, doc_key) REFERENCES documents (tenant_id, doc_key)
);
CREATE INDEX document_changes_doc ON document_changes (tenant_id, doc_key, seq);

CREATE FUNCTION document_changes_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'document_changes is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER document_changes_no_update BEFORE UPDATE OR DELETE ON document_changes
    FOR EACH ROW EXECUTE FUNCTION document_changes_immutable();
CREATE TRIGGER document_changes_no_truncate BEFORE TRUNCATE ON document_changes
    FOR EACH STATEMENT EXECUTE FUNCTION document_changes_immutable();

-- Domain conflicts found after merges (double booking, concurrent draft edits).
CREATE TABLE sync_conflicts (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    doc_key      text NOT NULL,
    kind         text NOT NULL,
    -- Ids only (appointment ids; entry id and field names), sorted, '|'-separated.
    subjects     text NOT NULL,
    detected_at  timestamptz NOT NULL DEFAULT now(),
    detected_seq bigint NOT NULL,
    resolved_at  timestamptz,
    resolved_seq bigint,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX sync_conflicts_open ON sync_conflicts (tenant_id, doc_key, kind, subjects) WHERE resolved_at IS NULL;

-- Projections: relational read models kept in step with the documents in the same transaction.

CREATE TABLE patients (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    name         text NOT NULL,
    social_name  text,
    birth_date   date,
    cpf          text,
    cns          text,
    updated_seq  bigint NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX patients_name ON patients (tenant_id, name, id);

CREATE TABLE appointments (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    professional_id  uuid NOT NULL,
    patient_id       uuid NOT NULL,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    status           text NOT NULL,
    doc_key          text NOT NULL,
    updated_seq      bigint NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX appointments_time ON appointments (tenant_id, starts_at, id);

-- Entry metadata only: never the clinical text.
CREATE TABLE chart_entries (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    patient_id   uuid NOT NULL,
    kind         text NOT NULL,
    status       text NOT NULL,
    author_id    uuid NOT NULL,
    created_at   timestamptz NOT NULL,
    signed_at    timestamptz,
    amends       uuid,
    updated_seq  bigint NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX chart_entries_patient ON chart_entries (tenant_id, patient_id, created_at);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['sync_heads', 'documents', 'document_changes', 'sync_conflicts',
                             'patients', 'appointments', 'chart_entries'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON %I USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant())',
            t || '_tenant', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE ON sync_heads, documents, sync_conflicts, patients, appointments, chart_entries
    TO atendebem_app;
GRANT SELECT, INSERT ON document_changes TO atendebem_app;
