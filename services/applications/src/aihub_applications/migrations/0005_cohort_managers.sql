-- Who manages each cohort's program, as `cohort.published` says: the staff API reads which
-- programs a caller manages from here (the token says only who they are).
ALTER TABLE cohorts ADD COLUMN IF NOT EXISTS program_managers jsonb NOT NULL DEFAULT '[]';
