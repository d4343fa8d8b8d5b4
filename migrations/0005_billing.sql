-- Billing (issue 6): the payer of each appointment in the projection; the operators a clinic
-- bills, with their price tables; billable items; TISS lotes, operator returns, glosas and
-- recursos. Every message sent and every file received is kept byte for byte: it is the record
-- of what was billed (append-only for the app role).

ALTER TABLE appointments
    ADD COLUMN kind       text,
    ADD COLUMN payer_ans  text,
    ADD COLUMN payer_card text;

CREATE TABLE billing_operators (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    registro_ans       text NOT NULL CHECK (registro_ans ~ '^[0-9]{6}$'),
    name               text NOT NULL,
    provider_code      text NOT NULL,
    clinic_name        text NOT NULL,
    cnes               text NOT NULL CHECK (cnes ~ '^[0-9]{7}$'),
    hash_input         text NOT NULL CHECK (hash_input IN ('utf8', 'latin1')),
    consultation_code  text NOT NULL CHECK (consultation_code ~ '^[0-9]{8}$'),
    -- Counters: numeroLote, sequencialTransacao and numeroGuiaPrestador are unique per provider
    -- and operator; taken with UPDATE ... RETURNING inside the transaction that uses them.
    next_lote          bigint NOT NULL DEFAULT 1,
    next_transaction   bigint NOT NULL DEFAULT 1,
    next_guide         bigint NOT NULL DEFAULT 1,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, registro_ans)
);

CREATE TABLE billing_prices (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    registro_ans  text NOT NULL,
    tuss_table    text NOT NULL CHECK (tuss_table IN ('18', '19', '20', '22')),
    code          text NOT NULL CHECK (code ~ '^[0-9]{8}$'),
    description   text NOT NULL,
    centavos      bigint NOT NULL CHECK (centavos BETWEEN 0 AND 99999999),
    PRIMARY KEY (tenant_id, registro_ans, tuss_table, code),
    FOREIGN KEY (tenant_id, registro_ans) REFERENCES billing_operators (tenant_id, registro_ans)
);

CREATE TABLE tiss_lotes (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    registro_ans     text NOT NULL,
    numero_lote      bigint NOT NULL,
    transaction_seq  bigint NOT NULL,
    guide_kind       text NOT NULL,
    guide_count      int NOT NULL,
    total_centavos   bigint NOT NULL,
    hash             text NOT NULL,
    hash_input       text NOT NULL,
    xml              bytea NOT NULL,
    status           text NOT NULL CHECK (status IN ('built', 'sent')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       uuid NOT NULL,
    sent_at          timestamptz,
    sent_by          uuid,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, registro_ans, numero_lote),
    UNIQUE (tenant_id, registro_ans, transaction_seq),
    FOREIGN KEY (tenant_id, registro_ans) REFERENCES billing_operators (tenant_id, registro_ans)
);

CREATE TABLE billing_items (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    source           text NOT NULL CHECK (source IN ('appointment', 'chart_entry')),
    source_id        uuid NOT NULL,
    patient_id       uuid NOT NULL,
    professional_id  uuid NOT NULL,
    performed_on     date NOT NULL,
    registro_ans     text NOT NULL,
    card_number      text NOT NULL,
    service          text NOT NULL CHECK (service IN ('first_visit', 'follow_up', 'teleconsultation', 'procedure',
                                                  'dental', 'hospital_fees', 'day_hospital')),
    tuss_table       text NOT NULL,
    code             text NOT NULL CHECK (code ~ '^[0-9]{8}$'),
    quantity         int NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    -- Dental items: FDI tooth or region, and faces.
    tooth            text,
    faces            text,
    -- Hospital items (fees, day-hospital stays): the hospitalisation, as JSON of
    -- shared_model::billing::HospitalStay (request guide, authorisation, site, times).
    hospital         text,
    lote_id          uuid,
    guide_number     text,
    item_sequence    int,
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       uuid,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, source, source_id, tuss_table, code),
    FOREIGN KEY (tenant_id, lote_id) REFERENCES tiss_lotes (tenant_id, id)
);
CREATE INDEX billing_items_open ON billing_items (tenant_id, registro_ans, performed_on) WHERE lote_id IS NULL;
-- An appointment is billed once, whatever the operator's consultation code becomes.
CREATE UNIQUE INDEX billing_items_one_per_appointment ON billing_items (tenant_id, source_id)
    WHERE source = 'appointment';
-- numeroGuiaPrestador never repeats at an operator (every guide has an item 1).
CREATE UNIQUE INDEX billing_items_guide_numbers ON billing_items (tenant_id, registro_ans, guide_number, item_sequence)
    WHERE guide_number IS NOT NULL;
CREATE INDEX billing_items_lote ON billing_items (tenant_id, lote_id, guide_number, item_sequence);

CREATE TABLE tiss_returns (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    registro_ans  text NOT NULL,
    kind          text NOT NULL,
    sha256        text NOT NULL,
    xml           bytea NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    received_by   uuid NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, sha256)
);

CREATE TABLE tiss_glosas (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    return_id        uuid NOT NULL,
    lote_id          uuid,
    level            text NOT NULL CHECK (level IN ('lote', 'protocol', 'guide', 'item')),
    protocol         text,
    guide_number     text,
    item_sequence    int,
    billing_item_id  uuid,
    code             text NOT NULL,
    description      text,
    centavos         bigint,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, return_id) REFERENCES tiss_returns (tenant_id, id),
    FOREIGN KEY (tenant_id, lote_id) REFERENCES tiss_lotes (tenant_id, id)
);
CREATE INDEX tiss_glosas_lote ON tiss_glosas (tenant_id, lote_id);

CREATE TABLE tiss_recursos (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    registro_ans     text NOT NULL,
    lote_id          uuid NOT NULL,
    number           text NOT NULL,
    transaction_seq  bigint NOT NULL,
    protocol         text NOT NULL,
    total_centavos   bigint NOT NULL,
    hash             text NOT NULL,
    xml              bytea NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       uuid NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, registro_ans, transaction_seq),
    FOREIGN KEY (tenant_id, lote_id) REFERENCES tiss_lotes (tenant_id, id)
);

CREATE TABLE tiss_recurso_glosas (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    recurso_id     uuid NOT NULL,
    glosa_id       uuid NOT NULL,
    justification  text NOT NULL,
    centavos       bigint NOT NULL,
    PRIMARY KEY (tenant_id, recurso_id, glosa_id),
    FOREIGN KEY (tenant_id, recurso_id) REFERENCES tiss_recursos (tenant_id, id),
    FOREIGN KEY (tenant_id, glosa_id) REFERENCES tiss_glosas (tenant_id, id)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['billing_operators', 'billing_prices', 'billing_items', 'tiss_lotes',
                             'tiss_returns', 'tiss_glosas', 'tiss_recursos', 'tiss_recurso_glosas'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON %I USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant())',
            t || '_tenant', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE ON billing_operators TO atendebem_app;
-- A lote's message and numbers never change: only its sending is recorded. An item only gets
-- its place in a lote.
GRANT SELECT, INSERT ON billing_items, tiss_lotes TO atendebem_app;
GRANT UPDATE (status, sent_at, sent_by) ON tiss_lotes TO atendebem_app;
GRANT UPDATE (lote_id, guide_number, item_sequence) ON billing_items TO atendebem_app;
-- A price table is configuration: replacing it removes the lines no longer contracted.
GRANT SELECT, INSERT, UPDATE, DELETE ON billing_prices TO atendebem_app;
-- What was received and contested is never changed.
GRANT SELECT, INSERT ON tiss_returns, tiss_glosas, tiss_recursos, tiss_recurso_glosas TO atendebem_app;
