-- The cohort counts of 0004, kept per statement instead of per row (issue 16): a run of
-- acceptances stores hundreds of enrollments in one statement, and a row trigger updated the
-- cohort row once per enrollment (a new version of it each time). Now each statement that
-- writes enrollments updates each cohort it touched once, by the net change its rows made
-- (transition tables). Any writer still keeps the counts true: a repair by hand, an erasure job.

DROP TRIGGER enrollments_count_insert ON enrollments;
DROP TRIGGER enrollments_count_update ON enrollments;
DROP TRIGGER enrollments_count_delete ON enrollments;
DROP FUNCTION count_cohort_seats();

CREATE FUNCTION count_inserted_seats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cohorts c SET
        seats_taken = c.seats_taken + d.confirmed,
        waitlisted  = c.waitlisted + d.waitlisted
    FROM (SELECT cohort_code,
                 count(*) FILTER (WHERE status = 'confirmed') AS confirmed,
                 count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted
          FROM new_rows GROUP BY cohort_code) d
    WHERE c.code = d.cohort_code AND (d.confirmed <> 0 OR d.waitlisted <> 0);
    RETURN NULL;
END $$;

-- `changed` holds the updated rows before the statement (step -1) and after it (step +1): their
-- sum per cohort is the change of its counts.
CREATE FUNCTION count_updated_seats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cohorts c SET
        seats_taken = c.seats_taken + d.confirmed,
        waitlisted  = c.waitlisted + d.waitlisted
    FROM (SELECT cohort_code,
                 sum(step * (status = 'confirmed')::int) AS confirmed,
                 sum(step * (status = 'waitlisted')::int) AS waitlisted
          FROM (SELECT cohort_code, status, 1 AS step FROM new_rows
                UNION ALL SELECT cohort_code, status, -1 FROM old_rows) changed
          GROUP BY cohort_code) d
    WHERE c.code = d.cohort_code AND (d.confirmed <> 0 OR d.waitlisted <> 0);
    RETURN NULL;
END $$;

CREATE FUNCTION count_deleted_seats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cohorts c SET
        seats_taken = c.seats_taken - d.confirmed,
        waitlisted  = c.waitlisted - d.waitlisted
    FROM (SELECT cohort_code,
                 count(*) FILTER (WHERE status = 'confirmed') AS confirmed,
                 count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted
          FROM old_rows GROUP BY cohort_code) d
    WHERE c.code = d.cohort_code AND (d.confirmed <> 0 OR d.waitlisted <> 0);
    RETURN NULL;
END $$;

CREATE TRIGGER enrollments_count_insert AFTER INSERT ON enrollments
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_inserted_seats();
-- Every update statement (a transition table allows no column list); one that changes no status
-- or cohort sums to nothing and writes nothing.
CREATE TRIGGER enrollments_count_update AFTER UPDATE ON enrollments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_updated_seats();
CREATE TRIGGER enrollments_count_delete AFTER DELETE ON enrollments
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_deleted_seats();
