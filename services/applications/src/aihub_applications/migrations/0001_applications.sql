-- Replica of the programs catalog, built from `cohort.published`: eligibility reads only this.
CREATE TABLE cohorts (
    cohort_code           text PRIMARY KEY,
    program_code          text NOT NULL,
    program_name_ko       text NOT NULL,
    program_name_en       text NOT NULL,
    seats                 integer NOT NULL,
    application_opens_at  timestamptz NOT NULL,
    application_closes_at timestamptz NOT NULL,
    max_startup_age_years integer,
    event_time            timestamptz NOT NULL,
    replicated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE applications (
    id                           uuid PRIMARY KEY,
    submitted_by                 text NOT NULL,
    submission_id                text NOT NULL,
    content_hash                 text NOT NULL,
    program_code                 text NOT NULL,
    cohort_code                  text NOT NULL,
    startup_name                 text NOT NULL,
    business_registration_number text NOT NULL,
    submission                   jsonb NOT NULL,
    status                       text NOT NULL,
    refusals                     jsonb NOT NULL DEFAULT '[]',
    created_at                   timestamptz NOT NULL DEFAULT now(),
    updated_at                   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (submitted_by, submission_id)
);
-- The last line of defence for "one application per business registration number per cohort".
CREATE UNIQUE INDEX applications_one_per_brn_and_cohort
    ON applications (cohort_code, business_registration_number) WHERE status <> 'ineligible';
CREATE INDEX applications_by_cohort ON applications (cohort_code, status, created_at);

CREATE TABLE application_history (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id),
    from_status    text,
    to_status      text NOT NULL,
    actor          text NOT NULL,
    reason         text NOT NULL,
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_history_by_application ON application_history (application_id, id);
