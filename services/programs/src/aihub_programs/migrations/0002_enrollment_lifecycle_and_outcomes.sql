-- The full catalog (descriptions in both languages, questions, review stages, agreement deadline),
-- the enrollment lifecycle (ranked waitlist, cancellations and tombstones, agreements) and the
-- startups' KPI reports.

ALTER TABLE programs
    ADD COLUMN description_ko text NOT NULL DEFAULT '',
    ADD COLUMN description_en text NOT NULL DEFAULT '';
UPDATE programs SET description_en = description WHERE description_en = '';

ALTER TABLE cohorts
    ADD COLUMN questions          jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN review_stages      jsonb,  -- NULL: the hub's default stages
    ADD COLUMN agreement_due_days integer NOT NULL DEFAULT 14
        CHECK (agreement_due_days BETWEEN 1 AND 180);

-- `cancelled` rows are kept: a withdrawal that arrives before its acceptance leaves one as a
-- tombstone, so that the late acceptance can never take a seat.
ALTER TABLE enrollments DROP CONSTRAINT enrollments_status_check;
ALTER TABLE enrollments
    ADD CONSTRAINT enrollments_status_check
        CHECK (status IN ('confirmed', 'waitlisted', 'cancelled')),
    -- Order of arrival: the tie-breaker of the waitlist between equal ranks.
    ADD COLUMN arrival             bigserial,
    ADD COLUMN program_code        text,
    ADD COLUMN rank                integer CHECK (rank >= 1),
    ADD COLUMN business_registration_number text,
    ADD COLUMN agreement_due_at    timestamptz,
    ADD COLUMN agreement_signed_at timestamptz,
    ADD COLUMN reason              text,
    -- Set once the startup ever held a seat: a KPI report is only taken from such a startup.
    ADD COLUMN held_seat           boolean NOT NULL DEFAULT false;
UPDATE enrollments SET held_seat = true WHERE status = 'confirmed';
UPDATE enrollments e SET program_code = c.program_code FROM cohorts c WHERE c.code = e.cohort_code;
-- Positions are computed from rank and arrival when read; a stored one would go stale.
UPDATE enrollments SET waitlist_position = NULL;

-- The deadline worker's query: unsigned confirmed seats by deadline.
CREATE INDEX enrollments_agreement_due ON enrollments (agreement_due_at)
    WHERE status = 'confirmed' AND agreement_signed_at IS NULL;
CREATE INDEX enrollments_by_startup ON enrollments (business_registration_number, cohort_code);

CREATE TABLE kpi_reports (
    source                       text NOT NULL,
    report_id                    text NOT NULL,
    business_registration_number text NOT NULL,
    cohort_code                  text NOT NULL REFERENCES cohorts (code),
    quarter                      text NOT NULL,
    revenue_krw                  bigint NOT NULL CHECK (revenue_krw >= 0),
    investment_raised_krw        bigint NOT NULL CHECK (investment_raised_krw >= 0),
    headcount                    integer NOT NULL CHECK (headcount >= 0),
    received_at                  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, report_id),
    -- One report per startup and quarter, hub-wide: the hub's totals never count a quarter twice.
    UNIQUE (business_registration_number, quarter)
);
CREATE INDEX kpi_reports_by_cohort ON kpi_reports (cohort_code);
