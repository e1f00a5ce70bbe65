-- 기피 신청: an applicant's challenge of a reviewer (filed by a manager, or by the publishing
-- system for the applicant). While open, the reviewer's scores for that application and stage
-- do not count; upheld, the reviewer is replaced as after a declared conflict of interest.
CREATE TABLE review_challenges (
    id              uuid PRIMARY KEY,
    application_id  uuid NOT NULL REFERENCES applications (id),
    stage_code      text NOT NULL,
    reviewer_id     text NOT NULL,
    reason          text NOT NULL,
    filed_by        text NOT NULL,
    filed_at        timestamptz NOT NULL DEFAULT now(),
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'dismissed')),
    decision_reason text,
    decided_by      text,
    decided_at      timestamptz
);
-- One open challenge per reviewer of an application's stage.
CREATE UNIQUE INDEX review_challenges_one_open
    ON review_challenges (application_id, stage_code, reviewer_id) WHERE status = 'open';
