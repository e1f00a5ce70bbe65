-- Personal data (issue 15): when an applicant's data was erased here.
ALTER TABLE applicants ADD COLUMN IF NOT EXISTS erased_at timestamptz;
