-- Personal data (issue 15): how long after a cohort ends its applicants' data is kept.
ALTER TABLE cohorts ADD COLUMN IF NOT EXISTS retention jsonb NOT NULL
    DEFAULT '{"selected_days": 1095, "not_selected_days": 365}';
