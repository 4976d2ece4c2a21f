-- One vote per (poll, visitor): the primary key is what makes a retry, a double click or a second submission count
-- once (the vote writer inserts with ON CONFLICT DO NOTHING). The visitor is the embed's random token (cookie or
-- hidden form field), never an IP address. A deleted poll takes its votes with it.
CREATE TABLE poll_votes (
    widget_id  uuid        NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    visitor    text        NOT NULL CHECK (char_length(visitor) BETWEEN 16 AND 64),
    option     integer     NOT NULL CHECK (option BETWEEN 0 AND 19),
    voted_at   timestamptz NOT NULL,
    PRIMARY KEY (widget_id, visitor)
);

-- Running totals per option, added to in the same statement as the votes they count, so that showing the results
-- reads at most 20 rows and never scans poll_votes.
CREATE TABLE poll_option_votes (
    widget_id  uuid    NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    option     integer NOT NULL CHECK (option BETWEEN 0 AND 19),
    votes      bigint  NOT NULL DEFAULT 0 CHECK (votes >= 0),
    PRIMARY KEY (widget_id, option)
);
