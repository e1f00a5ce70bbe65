-- 가점: the cohort's bonus items and their cap, as `cohort.published` says, and the items a
-- manager granted each application (who, when, why; taking one back deletes its row, the
-- history keeps both).
ALTER TABLE cohorts ADD COLUMN bonus_items jsonb NOT NULL DEFAULT '[]';
ALTER TABLE cohorts ADD COLUMN bonus_cap double precision;

CREATE TABLE bonus_grants (
    application_id uuid NOT NULL REFERENCES applications (id),
    item_code      text NOT NULL,
    reason         text NOT NULL,
    granted_by     text NOT NULL,
    granted_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, item_code)
);
