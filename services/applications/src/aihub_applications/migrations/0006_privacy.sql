-- Personal data (issue 15): consent on record, the consent text a cohort requires.
ALTER TABLE cohorts ADD COLUMN IF NOT EXISTS consent_text jsonb;   -- {"id", "version"} or NULL
-- Kept apart from `submission` so that erasing the submission keeps the proof of consent
-- (text id, version, language, time: no personal data).
ALTER TABLE applications ADD COLUMN IF NOT EXISTS consent jsonb;
-- Set when the applicant's data was erased (by request or by the retention worker).
ALTER TABLE applications ADD COLUMN IF NOT EXISTS erased_at timestamptz;

