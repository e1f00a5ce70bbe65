-- review.submitted: the reviewer handed in their scores; the assignment is no longer pending.
ALTER TABLE review_assignments ADD COLUMN submitted_at timestamptz;
-- application.advanced: the stage closed for this application; an unscored assignment of it is
-- no longer pending either (nobody will score it now).
ALTER TABLE review_assignments ADD COLUMN stage_closed_at timestamptz;
