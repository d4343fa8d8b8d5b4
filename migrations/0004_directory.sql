-- The clinic's directory of professionals is a synced document too (kind 'directory', one per
-- clinic: `directory/<tenant id>`).
ALTER TABLE documents DROP CONSTRAINT documents_kind_check;
ALTER TABLE documents ADD CONSTRAINT documents_kind_check
    CHECK (kind IN ('registry', 'chart', 'agenda', 'directory'));
