-- Every instance caches rendered widgets (Embed/Caching): a change by any writer (the API, './widgetify' commands, an
-- operator's SQL) must reach every instance's cache. Like the key triggers of 0002, NOTIFY is transactional: delivered
-- when the change commits, never for one that rolled back. The payload carries the new version ('<id>:<version>') or
-- '<id>:deleted', so an instance can refuse a snapshot older than the change from a lagging standby.
CREATE FUNCTION widgetify_widgets_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('widgetify_widgets', OLD.id::text || ':deleted');
    ELSE
        PERFORM pg_notify('widgetify_widgets', NEW.id::text || ':' || NEW.version::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER widgets_notify_insert AFTER INSERT ON widgets
    FOR EACH ROW EXECUTE FUNCTION widgetify_widgets_notify();

-- Not for the view counts the flusher adds every second (they would empty every cache once a second): a cached count
-- lags by Embed:Cache:ViewCountRefresh instead. Any edit of what a widget shows fires, whether or not it moved the version.
CREATE TRIGGER widgets_notify_update AFTER UPDATE ON widgets
    FOR EACH ROW
    WHEN ((OLD.tenant_id, OLD.name, OLD.kind, OLD.config, OLD.version)
          IS DISTINCT FROM (NEW.tenant_id, NEW.name, NEW.kind, NEW.config, NEW.version))
    EXECUTE FUNCTION widgetify_widgets_notify();

-- Also fires for the rows a tenant's deletion cascades to.
CREATE TRIGGER widgets_notify_delete AFTER DELETE ON widgets
    FOR EACH ROW EXECUTE FUNCTION widgetify_widgets_notify();

-- A committed vote batch moves the totals a poll's embed shows: one notification per batch (per statement), listing
-- the polls that got votes, comma-separated, at most 200 ids per notification (a payload must stay under 8000 bytes).
CREATE FUNCTION widgetify_poll_votes_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('widgetify_poll_votes', ids)
    FROM (
        SELECT string_agg(widget_id::text, ',') AS ids
        FROM (SELECT widget_id, (row_number() OVER (ORDER BY widget_id) - 1) / 200 AS chunk
              FROM (SELECT DISTINCT widget_id FROM counted) AS polls) AS numbered
        GROUP BY chunk
    ) AS chunks;
    RETURN NULL;
END
$$;

CREATE TRIGGER poll_votes_notify AFTER INSERT ON poll_votes
    REFERENCING NEW TABLE AS counted
    FOR EACH STATEMENT EXECUTE FUNCTION widgetify_poll_votes_notify();
