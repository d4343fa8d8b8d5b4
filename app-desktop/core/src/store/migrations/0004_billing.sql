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
    sent_at_ms       INTEGER,
    PRIMARY KEY (registro_ans, numero_lote)
) STRICT;

CREATE TABLE billed_items (
    source_id     TEXT PRIMARY KEY,       -- appointment id
    registro_ans  TEXT NOT NULL,
    numero_lote   INTEGER NOT NULL,
    guide_number  TEXT NOT NULL
) STRICT;

-- Returns from operators, kept byte for byte, and their glosas (append-only).
CREATE TABLE tiss_returns (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    registro_ans    TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sha256          TEXT NOT NULL UNIQUE,
    xml             BLOB NOT NULL,
    received_at_ms  INTEGER NOT NULL
) STRICT;

CREATE TABLE tiss_glosas (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    return_seq      INTEGER NOT NULL REFERENCES tiss_returns (seq),
    registro_ans    TEXT NOT NULL,
    numero_lote     INTEGER NOT NULL,
    level           TEXT NOT NULL,
    guide_number    TEXT,
    item_sequence   INTEGER,
    source_id       TEXT,                 -- the appointment billed
    code            TEXT NOT NULL,
    description     TEXT,
    centavos        INTEGER
) STRICT;
-- What was billed and received is never rewritten nor removed; a lote only gets its sending.
CREATE TRIGGER tiss_returns_no_update BEFORE UPDATE ON tiss_returns
BEGIN SELECT RAISE(ABORT, 'tiss_returns is append-only'); END;
CREATE TRIGGER tiss_returns_no_delete BEFORE DELETE ON tiss_returns
BEGIN SELECT RAISE(ABORT, 'tiss_returns is append-only'); END;
CREATE TRIGGER tiss_glosas_no_update BEFORE UPDATE ON tiss_glosas
BEGIN SELECT RAISE(ABORT, 'tiss_glosas is append-only'); END;
CREATE TRIGGER tiss_glosas_no_delete BEFORE DELETE ON tiss_glosas
BEGIN SELECT RAISE(ABORT, 'tiss_glosas is append-only'); END;
CREATE TRIGGER tiss_lotes_no_rewrite
BEFORE UPDATE OF registro_ans, numero_lote, transaction_seq, guide_kind, guide_count, total_centavos, hash, xml,
    created_at_ms ON tiss_lotes
BEGIN SELECT RAISE(ABORT, 'a written lote never changes'); END;
CREATE TRIGGER tiss_lotes_no_delete BEFORE DELETE ON tiss_lotes
BEGIN SELECT RAISE(ABORT, 'a written lote is never removed'); END;
CREATE TRIGGER billed_items_no_change BEFORE UPDATE ON billed_items
BEGIN SELECT RAISE(ABORT, 'billed_items is append-only'); END;
CREATE TRIGGER billed_items_no_delete BEFORE DELETE ON billed_items
BEGIN SELECT RAISE(ABORT, 'billed_items is append-only'); END;
