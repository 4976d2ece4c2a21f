-- A vote is stored as the index of the option chosen (0005), so an edit that changes the option at an index that has
-- votes would give those votes to another answer: reordered options swap their counts, a removed one takes its votes
-- out of the results, and a poll made a counter and back brought its old votes back under the new question. So an
-- update of a poll refuses to change the text at any index that has votes, to drop such an index, or to change the
-- widget's kind (WP001, "votes" in its message: the count). Everything else stays free: the question, the closing
-- time, options added at the end, and options nobody voted for yet renamed, moved or removed.
-- Checked here, not in the API, because every instance and every path that writes widgets must keep the rule; the
-- count read is of committed votes, so a vote batch still in flight while the owner edits an option nobody had voted
-- for can count under the new text (docs/polls.md says so).
CREATE FUNCTION widgetify_poll_votes_keep_their_option() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    affected bigint;
BEGIN
    IF NEW.kind = 'poll' AND NEW.config -> 'options' IS NOT DISTINCT FROM OLD.config -> 'options' THEN
        RETURN NEW;
    END IF;
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

CREATE TRIGGER widgets_poll_votes_keep_their_option BEFORE UPDATE OF kind, config ON widgets
    FOR EACH ROW WHEN (OLD.kind = 'poll') EXECUTE FUNCTION widgetify_poll_votes_keep_their_option();
