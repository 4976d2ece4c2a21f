-- What visitors did with each widget, hour by hour: views, votes and clicks. The owner's statistics
-- (GET /api/widgets/{id}/stats) read these rollups, never raw events; each writer adds to its hour's row in the
-- same transaction as what it counts (the view and click flushers' batches, the poll's vote batches).
CREATE TABLE widget_activity_hourly (
    widget_id  uuid        NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    hour       timestamptz NOT NULL CHECK (hour = date_bin('1 hour', hour, timestamptz '2000-01-01 00:00:00+00')),
    views      bigint      NOT NULL DEFAULT 0 CHECK (views >= 0),
    votes      bigint      NOT NULL DEFAULT 0 CHECK (votes >= 0),
    clicks     bigint      NOT NULL DEFAULT 0 CHECK (clicks >= 0),
    PRIMARY KEY (widget_id, hour)
);

-- Retention deletes old hours across all widgets.
CREATE INDEX widget_activity_hourly_hour ON widget_activity_hourly (hour);

-- A banner's clicks since it was created, kept like view_count (the hourly rows above are dropped after retention).
ALTER TABLE widgets ADD COLUMN click_count bigint NOT NULL DEFAULT 0;
