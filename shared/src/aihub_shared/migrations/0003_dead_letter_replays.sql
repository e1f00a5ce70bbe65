-- Who replayed which dead letter, when, and what came of it (runtime/dead_letter_admin.py). A
-- dead letter is named by its position on its dead-letter topic; it may be replayed many times.
CREATE TABLE dead_letter_replays (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dlq_topic     text        NOT NULL,
    dlq_partition integer     NOT NULL,
    dlq_offset    bigint      NOT NULL,
    consumer      text        NOT NULL,
    requested_by  text        NOT NULL,
    outcome       text        NOT NULL
        CHECK (outcome IN ('applied', 'already-applied', 'ignored', 'failed')),
    reason        text,
    replayed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letter_replays_position
    ON dead_letter_replays (dlq_topic, dlq_partition, dlq_offset);
