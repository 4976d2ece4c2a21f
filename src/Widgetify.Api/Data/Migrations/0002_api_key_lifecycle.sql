-- Key lifecycle (issue 13): keys can expire, be rotated with an overlap and be revoked, and every instance hears of a
-- change at once instead of trusting its cache for up to Api:ApiKeyCacheDuration.
ALTER TABLE api_keys
    ADD COLUMN expires_at   timestamptz,  -- NULL: never expires; a rotated key gets now() + overlap
    ADD COLUMN last_used_at timestamptz,  -- written in batches by the instances (ApiKeyUsageFlusher), minutes behind at most
    ADD COLUMN replaced_by  uuid REFERENCES api_keys (id) ON DELETE SET NULL;  -- the key that rotation made in its place

-- 'keys list --tenant T' and the cascade from tenants.
CREATE INDEX api_keys_tenant_id_id_idx ON api_keys (tenant_id, id);

-- The payload is '<operation>:<key id>'; never the hash. An instance evicts that key from its cache (and forgets
-- every unknown key it remembered, since an insert may have made one of them valid). NOTIFY is transactional: it is
-- delivered when the change commits, never for a change that rolled back.
CREATE FUNCTION widgetify_api_keys_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('widgetify_api_keys', 'delete:' || OLD.id::text);
    ELSE
        PERFORM pg_notify('widgetify_api_keys', lower(TG_OP) || ':' || NEW.id::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_notify_insert AFTER INSERT ON api_keys
    FOR EACH ROW EXECUTE FUNCTION widgetify_api_keys_notify();

-- Only changes that alter what a key may do: the batched last_used_at writes must not empty every instance's cache.
CREATE TRIGGER api_keys_notify_update AFTER UPDATE ON api_keys
    FOR EACH ROW
    WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
       OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
       OR OLD.role IS DISTINCT FROM NEW.role
       OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id
       OR OLD.key_hash IS DISTINCT FROM NEW.key_hash)
    EXECUTE FUNCTION widgetify_api_keys_notify();

-- Also fires for the rows a tenant's deletion cascades to.
CREATE TRIGGER api_keys_notify_delete AFTER DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION widgetify_api_keys_notify();
