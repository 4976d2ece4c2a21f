-- Per-tenant overrides of Widgetify:RateLimits (a NULL column keeps the setting's default), set with
-- './widgetify tenants set-limits'. Instances reread the table every Widgetify:RateLimits:LimitsRefreshInterval.
CREATE TABLE tenant_limits (
    tenant_id          uuid        PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    writes_per_second  integer     CHECK (writes_per_second >= 1),
    burst              integer     CHECK (burst >= 1),
    max_widgets        bigint      CHECK (max_widgets >= 0),
    max_stored_bytes   bigint      CHECK (max_stored_bytes >= 0),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- What each tenant stores, kept exact by a trigger in the transaction of every change to widgets (API, COPY of the
-- demo data, hand-written SQL alike). The row is the one place concurrent writers of a tenant serialize: a writer
-- that pushes it over the quota sees every committed widget before it, so two writers at the edge cannot both pass.
CREATE TABLE tenant_usage (
    tenant_id     uuid   PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    widgets       bigint NOT NULL DEFAULT 0,
    stored_bytes  bigint NOT NULL DEFAULT 0
);

-- A widget's stored bytes: its name and config as UTF-8 text, which is what the client sent, give or take spacing.
CREATE FUNCTION widget_stored_bytes(name text, config jsonb) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN octet_length(name) + octet_length(config::text);

-- Besides keeping the usage, enforces the quota a write asks for: the service sets 'widgetify.quota' to
-- 'max_widgets,max_stored_bytes' for its transaction (set_config(..., true)), so the check runs while this row's lock
-- is held. A write that adds a widget over max_widgets (WQ001) or grows the bytes over max_stored_bytes (WQ002) fails
-- with the usage before it and the limit at the end of its message (not in DETAIL, which
-- Npgsql redacts). Without the setting (COPY of the demo data, hand-written SQL)
-- nothing is enforced, only counted.
CREATE FUNCTION tenant_usage_track() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    quota        text := current_setting('widgetify.quota', true);
    added_bytes  bigint := 0;
    added        bigint := 0;
    total        bigint;
    total_bytes  bigint;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO tenant_usage AS u (tenant_id, widgets, stored_bytes)
        VALUES (OLD.tenant_id, -1, -widget_stored_bytes(OLD.name, OLD.config))
        ON CONFLICT (tenant_id) DO UPDATE
            SET widgets = u.widgets + EXCLUDED.widgets, stored_bytes = u.stored_bytes + EXCLUDED.stored_bytes;
        added := -1;
        added_bytes := -widget_stored_bytes(OLD.name, OLD.config);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO tenant_usage AS u (tenant_id, widgets, stored_bytes)
        VALUES (NEW.tenant_id, 1, widget_stored_bytes(NEW.name, NEW.config))
        ON CONFLICT (tenant_id) DO UPDATE
            SET widgets = u.widgets + EXCLUDED.widgets, stored_bytes = u.stored_bytes + EXCLUDED.stored_bytes
        RETURNING widgets, stored_bytes INTO total, total_bytes;
        added := added + 1;
        added_bytes := added_bytes + widget_stored_bytes(NEW.name, NEW.config);
        IF quota IS NOT NULL AND quota <> '' THEN
            IF added > 0 AND total > split_part(quota, ',', 1)::bigint THEN
                RAISE EXCEPTION 'widget quota exceeded (used,limit): %,%', total - added, split_part(quota, ',', 1)
                    USING ERRCODE = 'WQ001';
            END IF;
            IF added_bytes > 0 AND total_bytes > split_part(quota, ',', 2)::bigint THEN
                RAISE EXCEPTION 'stored bytes quota exceeded (used,limit): %,%', total_bytes - added_bytes, split_part(quota, ',', 2)
                    USING ERRCODE = 'WQ002';
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END
$$;

-- Only the columns that change the usage: the view-count flush, which updates thousands of rows a second, is not slowed.
CREATE TRIGGER widgets_tenant_usage
    AFTER INSERT OR DELETE OR UPDATE OF tenant_id, name, config ON widgets
    FOR EACH ROW EXECUTE FUNCTION tenant_usage_track();

INSERT INTO tenant_usage (tenant_id, widgets, stored_bytes)
SELECT tenant_id, count(*), sum(widget_stored_bytes(name, config)) FROM widgets GROUP BY tenant_id;
