-- The replica keeps what eligibility and review need from `cohort.published`.
ALTER TABLE cohorts
    ADD COLUMN questions          jsonb NOT NULL DEFAULT '[]',
    -- NULL for cohorts replicated before stages existed: they review with the default stages.
    ADD COLUMN review_stages      jsonb,
    ADD COLUMN agreement_due_days integer NOT NULL DEFAULT 14;

ALTER TABLE applications
    -- The review stage a `received` application is in; NULL means the cohort's first stage.
    ADD COLUMN stage_code   text,
    -- Each closed stage's score, by stage code.
    ADD COLUMN stage_scores jsonb NOT NULL DEFAULT '{}',
    -- Place in the final ranking and the weighted final score, set by the decision.
    ADD COLUMN rank         integer CHECK (rank >= 1),
    ADD COLUMN final_score  double precision;
CREATE UNIQUE INDEX applications_one_rank_per_cohort
    ON applications (cohort_code, rank) WHERE rank IS NOT NULL;

-- Every change, not only status changes: assignments, scores, conflicts, stage changes.
ALTER TABLE application_history
    ADD COLUMN action     text NOT NULL DEFAULT 'status',
    ADD COLUMN stage_code text;

-- Reviewers staff named for a stage of a cohort: the pool assignments and replacements draw on.
CREATE TABLE stage_reviewers (
    cohort_code   text NOT NULL,
    stage_code    text NOT NULL,
    reviewer_id   text NOT NULL,
    reviewer_name text NOT NULL,
    added_by      text NOT NULL,
    added_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cohort_code, stage_code, reviewer_id)
);

CREATE TABLE review_assignments (
    application_id  uuid NOT NULL REFERENCES applications (id),
    stage_code      text NOT NULL,
    reviewer_id     text NOT NULL,
    reviewer_name   text NOT NULL,
    assigned_by     text NOT NULL,
    assigned_at     timestamptz NOT NULL DEFAULT now(),
    replaces        text,
    -- Set when the reviewer declared a conflict of interest: the assignment no longer counts.
    conflict_reason text,
    scores          jsonb,
    comment         text,
    scored_at       timestamptz,
    PRIMARY KEY (application_id, stage_code, reviewer_id)
);
CREATE INDEX review_assignments_by_reviewer ON review_assignments (reviewer_id, application_id);
