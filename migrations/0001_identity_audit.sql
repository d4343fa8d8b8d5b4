-- Identity (tenants, users, devices, sessions), signing keys and the audit trail.
--
-- Applied by the OWNER role (`atendebem-server migrate`). The server connects as `atendebem_app`:
-- NOSUPERUSER, NOBYPASSRLS, owning nothing (created by `atendebem-server db init` or the DBA).
-- Every tenant-owned table has `tenant_id`, ENABLE + FORCE ROW LEVEL SECURITY and a policy on
-- `app.current_tenant`, which the server sets per transaction with
-- `set_config('app.current_tenant', $1, true)` from the validated token.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'atendebem_app') THEN
        RAISE EXCEPTION 'role atendebem_app does not exist: run `atendebem-server db init` first';
    END IF;
END
$$;

CREATE FUNCTION current_tenant() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.current_tenant', true), '')::uuid $$;

-- Tenants ---------------------------------------------------------------------------------------

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE,
    name        text NOT NULL,
    plan        text NOT NULL CHECK (plan IN ('free', 'starter', 'professional', 'enterprise', 'platform')),
    time_zone   text NOT NULL DEFAULT 'America/Sao_Paulo',
    status      text NOT NULL CHECK (status IN ('active', 'suspended', 'platform')),
    -- NGS1.02.13: consecutive failures before an account locks (at most 10).
    lockout_threshold integer NOT NULL DEFAULT 10 CHECK (lockout_threshold BETWEEN 1 AND 10),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The platform's own audit chain (console actions that concern no single clinic).
INSERT INTO tenants (id, slug, name, plan, status)
VALUES ('00000000-0000-0000-0000-000000000000', 'platform', 'AtendeBem (plataforma)', 'platform', 'platform');

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
-- The server sees only the tenant of the current transaction ...
CREATE POLICY tenants_app ON tenants TO atendebem_app
    USING (id = current_tenant()) WITH CHECK (id = current_tenant());
-- ... the owner (migrations, admin console, the definer function below) sees them all.
CREATE POLICY tenants_owner ON tenants TO CURRENT_USER USING (true) WITH CHECK (true);

-- Login knows only the slug; this definer function answers just id and status.
CREATE FUNCTION tenant_for_login(p_slug text)
    RETURNS TABLE (id uuid, status text, lockout_threshold integer)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT t.id, t.status, t.lockout_threshold FROM tenants t WHERE t.slug = p_slug AND t.status <> 'platform' $$;
REVOKE ALL ON FUNCTION tenant_for_login(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenant_for_login(text) TO atendebem_app;

-- Users -----------------------------------------------------------------------------------------

CREATE TABLE users (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    email           text NOT NULL,
    name            text NOT NULL,
    role            text NOT NULL CHECK (role IN ('SUPER_ADMIN', 'ADMIN', 'PROFESSIONAL', 'STAFF', 'VIEWER')),
    professional_id uuid,
    -- Argon2id PHC string (NGS1.02.02: readable only by the app's role).
    password_hash   text NOT NULL,
    -- NGS1.02.06: an admin-set password must be changed at first login.
    must_change_password boolean NOT NULL DEFAULT true,
    password_changed_at  timestamptz NOT NULL DEFAULT now(),
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    failed_logins   integer NOT NULL DEFAULT 0,
    locked_at       timestamptz,
    last_login_at   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, email)
);

-- Devices: a desktop replica, identified by the id it generated (shared terminals: many users).
CREATE TABLE devices (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    first_user_id uuid NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, first_user_id) REFERENCES users (tenant_id, id)
);

-- Sessions: one refresh-token family per login (RFC 9700 rotation with reuse detection).
CREATE TABLE sessions (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    user_id     uuid NOT NULL,
    device_id   uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    revoked_reason text,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id)
);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    -- SHA-256 of the token; the token itself is never stored.
    token_hash  bytea NOT NULL,
    session_id  uuid NOT NULL,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    PRIMARY KEY (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id)
);

-- Signing keys (Ed25519, JWT `EdDSA`). Shared by every server instance through the database; the
-- newest active key signs, all unretired keys verify (rotation).
CREATE TABLE signing_keys (
    kid          uuid PRIMARY KEY,
    private_pem  text NOT NULL,
    public_pem   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    retired_at   timestamptz
);

-- Audit ------------------------------------------------------------------------------------------

-- Append-only, hash-chained per tenant (NGS1.07.01/02). No patient data (NGS1.07.06): ids, codes.
CREATE TABLE audit_events (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    seq          bigint NOT NULL,
    event_id     uuid NOT NULL,
    at           timestamptz NOT NULL,
    user_id      uuid,
    device_id    uuid,
    ip           text,
    action       text NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
    record_kind  text,
    record_id    text,
    detail       text,
    prev_hash    bytea NOT NULL,
    hash         bytea NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_events_at ON audit_events (tenant_id, at);

-- The chain's head: serialises appends per tenant and lets `verify` notice a cut tail.
CREATE TABLE audit_heads (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants (id),
    seq        bigint NOT NULL,
    hash       bytea NOT NULL
);
INSERT INTO audit_heads (tenant_id, seq, hash)
VALUES ('00000000-0000-0000-0000-000000000000', 0, '\x0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_immutable();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_immutable();

-- Row-level security on every tenant-owned table ------------------------------------------------

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'devices', 'sessions', 'refresh_tokens', 'audit_events', 'audit_heads'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON %I USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant())',
            t || '_tenant', t);
    END LOOP;
END
$$;

-- Grants: the app role gets exactly what the server needs -----------------------------------------

GRANT USAGE ON SCHEMA public TO atendebem_app;
GRANT EXECUTE ON FUNCTION current_tenant() TO atendebem_app;
GRANT SELECT ON tenants TO atendebem_app;
GRANT SELECT, INSERT, UPDATE ON users, devices, sessions, refresh_tokens TO atendebem_app;
GRANT SELECT ON signing_keys TO atendebem_app;
GRANT SELECT, INSERT ON audit_events TO atendebem_app;
GRANT SELECT, INSERT, UPDATE ON audit_heads TO atendebem_app;
-- `/readyz` compares the applied migrations with the binary's.
GRANT SELECT ON _sqlx_migrations TO atendebem_app;
