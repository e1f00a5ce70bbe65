-- Personal data (issue 15): what the retention worker needs of a cohort (from cohort.published).
ALTER TABLE cohorts
    ADD COLUMN IF NOT EXISTS ends_on date,
    ADD COLUMN IF NOT EXISTS retention jsonb;  -- {"selected_days", "not_selected_days"}
