-- The cohort's review stages (code and name in each language), as `cohort.published` carries
-- them: mails name a cohort's real stages (서류평가), never their codes. Rows replicated before
-- this column get their stages with the cohort's next `cohort.published`.
ALTER TABLE cohorts ADD COLUMN review_stages jsonb NOT NULL DEFAULT '[]'::jsonb;
