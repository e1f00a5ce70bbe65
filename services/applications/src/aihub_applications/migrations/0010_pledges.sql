-- 평가위원 서약: a reviewer's acceptance of the reviewer pledge for a cohort's stage, once,
-- with the version of the text they accepted and when.
CREATE TABLE review_pledges (
    cohort_code    text NOT NULL,
    stage_code     text NOT NULL,
    reviewer_id    text NOT NULL,
    pledge_version text NOT NULL,
    accepted_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cohort_code, stage_code, reviewer_id)
);
