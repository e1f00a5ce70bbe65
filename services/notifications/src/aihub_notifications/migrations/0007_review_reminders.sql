-- Reminders to reviewers before an assignment's due time (issue 14, rule 8).
-- What the reminder mail names: the reviewer as applications named them, and, in a blind stage,
-- the anonymous label (the startup's name comes from the applicant replica, which erasure
-- blanks). Rows assigned before this migration have `blind` NULL: nobody knows whether their
-- stage hides the startup, so their reminder names the application by its id only.
ALTER TABLE review_assignments ADD COLUMN reviewer_name text;
ALTER TABLE review_assignments ADD COLUMN anonymous_label text;
ALTER TABLE review_assignments ADD COLUMN blind boolean;

-- The reminder scan looks only at open assignments that have a due time.
CREATE INDEX review_assignments_open_due ON review_assignments (due_at)
    WHERE submitted_at IS NULL AND stage_closed_at IS NULL AND due_at IS NOT NULL;

-- One row per (assignment, offset) reminded: the key is what makes a reminder once only, with
-- two instances scanning at the same time. `event_id` is the `reminder.sent` event, the cause of
-- the mail's delivery (whose own identity makes the mail once only).
CREATE TABLE review_reminders (
    application_id  text NOT NULL,
    stage_code      text NOT NULL,
    reviewer_email  text NOT NULL,
    offset_seconds  integer NOT NULL CHECK (offset_seconds > 0),
    due_at          timestamptz NOT NULL,
    event_id        uuid NOT NULL UNIQUE,
    reminded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, stage_code, reviewer_email, offset_seconds)
);
