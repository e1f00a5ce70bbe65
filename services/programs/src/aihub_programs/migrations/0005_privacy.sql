-- Personal data (issue 15): the consent text a cohort requires; erasure bookkeeping.
ALTER TABLE cohorts ADD COLUMN IF NOT EXISTS consent_text jsonb;  -- {"id", "version"} or NULL
