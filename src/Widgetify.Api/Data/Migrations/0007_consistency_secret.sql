-- Consistency tokens (Widgetify-Consistency, Consistency/ConsistencyTokenSigner) carry an HMAC of their WAL position
-- under this secret, so a client can hand back only a position a write of this deployment gave it. One row, shared by
-- every instance on the database (and kept by a backup, so tokens stay valid across a restore of the same deployment).
-- gen_random_uuid() draws from pg_strong_random(): two version-4 UUIDs give 244 random bits, without pgcrypto.
CREATE TABLE widgetify_consistency_secret (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    secret     bytea       NOT NULL CHECK (length(secret) = 32),
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO widgetify_consistency_secret (secret)
VALUES (decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));
