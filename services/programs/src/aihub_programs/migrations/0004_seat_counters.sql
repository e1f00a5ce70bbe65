-- Seat decisions read a constant number of rows, whatever the size of the cohort: the cohort row
-- (locked by every decision anyway) counts its confirmed and waiting enrollments, and an index
-- gives the head of the waitlist in its order (rank, unranked last, then arrival).

ALTER TABLE cohorts
    ADD COLUMN seats_taken integer NOT NULL DEFAULT 0 CHECK (seats_taken >= 0),
    ADD COLUMN waitlisted  integer NOT NULL DEFAULT 0 CHECK (waitlisted >= 0);

UPDATE cohorts c SET
    seats_taken = (SELECT count(*) FROM enrollments e
                   WHERE e.cohort_code = c.code AND e.status = 'confirmed'),
    waitlisted  = (SELECT count(*) FROM enrollments e
                   WHERE e.cohort_code = c.code AND e.status = 'waitlisted');

-- The counts follow every write of an enrollment's status, whoever makes it (the seat decisions,
-- a repair by hand, a later erasure job): a trigger, so no writer can forget them. Each write of
-- an enrollment takes its cohort's row lock anyway.
CREATE FUNCTION count_cohort_seats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status IN ('confirmed', 'waitlisted') THEN
        UPDATE cohorts SET
            seats_taken = seats_taken - (OLD.status = 'confirmed')::int,
            waitlisted  = waitlisted - (OLD.status = 'waitlisted')::int
        WHERE code = OLD.cohort_code;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status IN ('confirmed', 'waitlisted') THEN
        UPDATE cohorts SET
            seats_taken = seats_taken + (NEW.status = 'confirmed')::int,
            waitlisted  = waitlisted + (NEW.status = 'waitlisted')::int
        WHERE code = NEW.cohort_code;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER enrollments_count_insert AFTER INSERT ON enrollments
    FOR EACH ROW EXECUTE FUNCTION count_cohort_seats();
CREATE TRIGGER enrollments_count_update AFTER UPDATE OF status, cohort_code ON enrollments
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.cohort_code IS DISTINCT FROM NEW.cohort_code)
    EXECUTE FUNCTION count_cohort_seats();
CREATE TRIGGER enrollments_count_delete AFTER DELETE ON enrollments
    FOR EACH ROW EXECUTE FUNCTION count_cohort_seats();

-- The head of a cohort's waitlist, best first. The order is `waitlist_order` in
-- adapters/enrollments.py (the domain's `waitlist_key`): unranked after any rank a decision can
-- give (ranks are integers, so 2^32 is beyond them all), then arrival.
CREATE INDEX enrollments_waitlist_head
    ON enrollments (cohort_code, (coalesce(rank::bigint, 4294967296)), arrival)
    WHERE status = 'waitlisted';
