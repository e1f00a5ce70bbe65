-- When a startup that held a seat gave it up (withdrawn, cancelled by staff, agreement deadline
-- passed): it still counts among the companies the cohort supported, and its KPI reports are
-- taken for the quarters that began before this moment (NULL while it holds the seat, and for
-- enrollments that never held one).
ALTER TABLE enrollments ADD COLUMN seat_released_at timestamptz;
-- A cancelled row is final, so its last update was its cancellation.
UPDATE enrollments SET seat_released_at = updated_at WHERE status = 'cancelled' AND held_seat;
CREATE INDEX enrollments_supported ON enrollments (cohort_code, business_registration_number)
    WHERE held_seat;
