-- Challenges of reviewers (기피 신청) as applications announces them: while one is open, its
-- reviewer is not reminded of that application's stage (the scores may not count, the manager
-- decides first); dismissed, the reminders resume. Kept per challenge id, so a late or repeated
-- `review.challenged` can never reopen a challenge already decided.
CREATE TABLE review_challenges (
    challenge_id    text PRIMARY KEY,
    application_id  text NOT NULL,
    stage_code      text NOT NULL,
    reviewer_email  text NOT NULL,
    status          text NOT NULL CHECK (status IN ('open', 'upheld', 'dismissed')),
    changed_at      timestamptz NOT NULL
);
-- What the reminder scan asks of each assignment: is its reviewer under an open challenge?
CREATE INDEX review_challenges_open
    ON review_challenges (application_id, stage_code, reviewer_email) WHERE status = 'open';
