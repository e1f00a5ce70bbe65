-- When a reviewer is expected to have scored (optional, set by the manager who assigns).
ALTER TABLE review_assignments ADD COLUMN due_at timestamptz;
