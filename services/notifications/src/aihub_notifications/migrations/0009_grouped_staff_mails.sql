-- Staff notices grouped (issue 16): one mail to a staff member can tell of several events that
-- arrived together (`domain/staff_notices.py`). `event_id` stays its cause (the first of them) and
-- keeps the identity (event_id, lower(recipient), template) unique; `covered_event_ids` lists every
-- event it tells of, in order, so "which mail told about event X" is `event_id = X OR
-- covered_event_ids @> ARRAY[X]`. Empty for a mail caused by one event (every mail before this).
ALTER TABLE deliveries ADD COLUMN covered_event_ids text[] NOT NULL DEFAULT '{}';
CREATE INDEX deliveries_covered_events ON deliveries USING gin (covered_event_ids);
