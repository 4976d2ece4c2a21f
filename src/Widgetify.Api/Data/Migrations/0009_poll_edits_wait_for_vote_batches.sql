-- 0008 counts a poll's committed votes before it lets an edit change or drop an option, and a vote batch still in flight
-- was not counted: a tester removed an option while 25 votes for it were being written, the edit passed, the batch
-- committed, and 18 acknowledged votes counted for an option that no longer existed (shown nowhere, and the option could
-- not be added back). Now the two take one lock per poll, an advisory lock in a key space of their own (the class
-- 2004250484, "wvot" in ASCII, and hashtext of the poll's id; the migrations' and the leases' locks use the one-key
-- form, a space apart): a vote batch takes it shared (batches never wait for each other), this trigger exclusive, and only
-- when the options change. So an edit waits for the batches in flight and then counts their votes (each statement of a
-- plpgsql function takes a new snapshot), and a batch that comes after the edit sees the new options and refuses a vote
-- for an index the poll no longer has (PollStore). Two polls whose ids hash alike only wait for each other a little.
CREATE OR REPLACE FUNCTION widgetify_poll_votes_keep_their_option() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    affected bigint;
BEGIN
    IF NEW.kind = 'poll' AND NEW.config -> 'options' IS NOT DISTINCT FROM OLD.config -> 'options' THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock(2004250484, hashtext(OLD.id::text));
    SELECT coalesce(sum(t.votes), 0) INTO affected
    FROM poll_option_votes AS t
    WHERE t.widget_id = OLD.id AND t.votes > 0
      AND (NEW.kind <> 'poll' OR (NEW.config -> 'options' -> t.option) IS DISTINCT FROM (OLD.config -> 'options' -> t.option));
    IF affected > 0 THEN
        RAISE EXCEPTION 'poll options with votes changed: votes %', affected USING ERRCODE = 'WP001';
    END IF;
    RETURN NEW;
END
$$;
