-- Sync with a server (ADR 0006). A standalone replica keeps these tables empty.

-- What the server is known to have of each document: the heads of its copy (concatenated
-- 32-byte change hashes; NULL: nothing yet), and whether the replica holds changes the server
-- has not acknowledged. Both change in the transactions that store the document.
ALTER TABLE documents ADD COLUMN server_heads BLOB;
ALTER TABLE documents ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
CREATE INDEX documents_pending ON documents (pending) WHERE pending = 1;

-- Users who logged in online on this device (NGS1.02.01: offline login only for them).
CREATE TABLE accounts (
    user_id          TEXT PRIMARY KEY,
    email            TEXT NOT NULL,
    name             TEXT NOT NULL,
    role             TEXT NOT NULL,
    professional_id  TEXT,
    verifier         TEXT NOT NULL,      -- Argon2id PHC string of the password, for offline login
    token_store      TEXT NOT NULL,      -- 'keychain' | 'replica' | 'none' (must log in online)
    refresh_token    TEXT,               -- only when token_store = 'replica' (the file is encrypted)
    ended_code       TEXT,               -- why the server ended the session, if it did
    logged_in_at_ms  INTEGER NOT NULL,
    server_auth_ms   INTEGER             -- last time the server accepted this account
) STRICT;

-- Changes the server refused: kept for good, readable and copyable by their author.
CREATE TABLE quarantine (
    id          TEXT PRIMARY KEY,
    doc_key     TEXT NOT NULL,
    user_id     TEXT,
    code        TEXT NOT NULL,
    message     TEXT NOT NULL,
    changes     BLOB NOT NULL,         -- the refused automerge changes, concatenated
    content     TEXT NOT NULL,         -- JSON [[path, value], ...]: what they wrote
    at_ms       INTEGER NOT NULL
) STRICT;
CREATE TRIGGER quarantine_no_update BEFORE UPDATE ON quarantine
BEGIN SELECT RAISE(ABORT, 'quarantine is append-only'); END;
CREATE TRIGGER quarantine_no_delete BEFORE DELETE ON quarantine
BEGIN SELECT RAISE(ABORT, 'quarantine is append-only'); END;

-- The server's open conflicts, replaced by every list it sends.
CREATE TABLE conflicts (
    id              TEXT PRIMARY KEY,
    doc_key         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    subjects        TEXT NOT NULL,     -- JSON array of ids
    detected_at_ms  INTEGER NOT NULL
) STRICT;

-- The shared terminal: who is at the keyboard, and whether the screen is locked.
CREATE TABLE terminal (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    user_id           TEXT NOT NULL,
    locked            INTEGER NOT NULL DEFAULT 0,
    last_activity_ms  INTEGER NOT NULL
) STRICT;
