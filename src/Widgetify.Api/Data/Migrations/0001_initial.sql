-- Tenants own widgets; API keys authenticate a tenant (or an operator).
CREATE TABLE tenants (
    id          uuid        PRIMARY KEY,
    name        text        NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Keys are 256-bit random secrets, so a fast hash (SHA-256) is enough: there is nothing to brute-force.
CREATE TABLE api_keys (
    id          uuid        PRIMARY KEY,
    tenant_id   uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_hash    bytea       NOT NULL UNIQUE,
    key_prefix  text        NOT NULL,
    role        text        NOT NULL DEFAULT 'tenant' CHECK (role IN ('tenant', 'operator')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

-- Ids are UUIDv7: time-ordered, so keyset pagination on (tenant_id, id) returns creation order.
CREATE TABLE widgets (
    id          uuid        PRIMARY KEY,
    tenant_id   uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    kind        text        NOT NULL CHECK (kind IN ('counter', 'poll', 'banner', 'clock', 'weather')),
    config      jsonb       NOT NULL CHECK (jsonb_typeof(config) = 'object'),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     integer     NOT NULL DEFAULT 1,
    view_count  bigint      NOT NULL DEFAULT 0
);

CREATE INDEX widgets_tenant_id_id_idx ON widgets (tenant_id, id);
CREATE INDEX widgets_tenant_id_kind_id_idx ON widgets (tenant_id, kind, id);

-- A POST carrying an Idempotency-Key is recorded with the response it produced, in the same transaction
-- as the widget, so a retry replays the response instead of creating a duplicate.
CREATE TABLE idempotency_keys (
    tenant_id     uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key           text        NOT NULL,
    request_hash  bytea       NOT NULL,
    widget_id     uuid,
    response      text,          -- the exact bytes of the first response, replayed verbatim
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);

CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
