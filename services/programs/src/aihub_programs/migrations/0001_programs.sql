CREATE TABLE programs (
    code            text PRIMARY KEY,
    name_ko         text NOT NULL,
    name_en         text NOT NULL,
    partner         text,
    description     text NOT NULL DEFAULT '',
    managers        jsonb NOT NULL DEFAULT '[]',
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cohorts (
    code                  text PRIMARY KEY,
    program_code          text NOT NULL REFERENCES programs (code),
    seats                 integer NOT NULL CHECK (seats >= 0),
    application_opens_at  timestamptz NOT NULL,
    application_closes_at timestamptz NOT NULL,
    starts_on             date,
    ends_on               date,
    max_startup_age_years integer CHECK (max_startup_age_years >= 0),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CHECK (application_closes_at > application_opens_at)
);

-- One enrollment per application: a redelivered acceptance can never take a second seat.
CREATE TABLE enrollments (
    id              uuid PRIMARY KEY,
    application_id  text NOT NULL UNIQUE,
    cohort_code     text NOT NULL REFERENCES cohorts (code),
    startup_name    text NOT NULL,
    status          text NOT NULL CHECK (status IN ('confirmed', 'waitlisted')),
    waitlist_position integer CHECK (waitlist_position >= 1),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX enrollments_by_cohort ON enrollments (cohort_code, status);
