-- TISS billing on a replica (issue 6): the operators this clinic bills (settings and price
-- table as JSON of shared_model::billing::OperatorSettings) with their counters, the lotes
-- written (kept byte for byte) and which appointments they billed. Counters are unique only on a
-- standalone replica: a replica connected to a server leaves numbering to the server.

CREATE TABLE billing_operators (
    registro_ans      TEXT PRIMARY KEY,
    data              TEXT NOT NULL,
    next_lote         INTEGER NOT NULL DEFAULT 1,
    next_transaction  INTEGER NOT NULL DEFAULT 1,
    next_guide        INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE tiss_lotes (
    registro_ans     TEXT NOT NULL,
    numero_lote      INTEGER NOT NULL,
    transaction_seq  INTEGER NOT NULL,
    guide_kind       TEXT NOT NULL,
    guide_count      INTEGER NOT NULL,
    total_centavos   INTEGER NOT NULL,
    hash             TEXT NOT NULL,
    xml              BLOB NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    PRIMARY KEY (registro_ans, numero_lote)
) STRICT;

CREATE TABLE billed_items (
    source_id     TEXT PRIMARY KEY,       -- appointment id
    registro_ans  TEXT NOT NULL,
    numero_lote   INTEGER NOT NULL,
    guide_number  TEXT NOT NULL
) STRICT;
