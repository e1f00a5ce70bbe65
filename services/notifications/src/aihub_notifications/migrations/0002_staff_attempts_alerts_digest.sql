-- The staff directory, delivery attempts, dead-letter alerts and what the daily digest counts.

-- Seats, from cohort.published (capacity) and every enrollment event (seats taken); each guarded
-- by its own event time, since the two come from different topics.
ALTER TABLE cohorts
    ADD COLUMN seats               integer,
    ADD COLUMN seats_taken         integer NOT NULL DEFAULT 0,
    ADD COLUMN seats_event_time    timestamptz,
    ADD COLUMN agreement_due_days  integer;

-- Where an application stands, for the digest: received → decided (accepted, rejected,
-- withdrawn). `received_at` is the time of application.received.
ALTER TABLE applicants
    ADD COLUMN status       text NOT NULL DEFAULT 'received'
                            CHECK (status IN ('received', 'accepted', 'rejected', 'withdrawn')),
    ADD COLUMN received_at  timestamptz,
    ADD COLUMN decided_at   timestamptz;
UPDATE applicants SET received_at = event_time WHERE received_at IS NULL;
CREATE INDEX applicants_by_cohort ON applicants (cohort_code, status);

-- review.assigned: one row per (application, stage, reviewer); pending while the application is
-- undecided.
CREATE TABLE review_assignments (
    application_id  text NOT NULL,
    stage_code      text NOT NULL,
    reviewer_email  text NOT NULL,
    program_code    text NOT NULL,
    cohort_code     text NOT NULL,
    due_at          timestamptz,
    assigned_at     timestamptz NOT NULL,
    PRIMARY KEY (application_id, stage_code, reviewer_email)
);

-- The staff directory. `email` is stored lower-case: it is the staff token's subject.
CREATE TABLE staff (
    email       text PRIMARY KEY CHECK (email = lower(email)),
    name        text NOT NULL,
    locale      text NOT NULL DEFAULT 'ko' CHECK (locale IN ('ko', 'en')),
    role        text NOT NULL CHECK (role IN ('admin', 'program_manager', 'reviewer', 'ops')),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Which kinds of mail a staff member gets, per program ('*': every program).
CREATE TABLE subscriptions (
    staff_email   text NOT NULL REFERENCES staff (email) ON DELETE CASCADE,
    kind          text NOT NULL,
    program_code  text NOT NULL DEFAULT '*',
    PRIMARY KEY (staff_email, kind, program_code)
);
CREATE INDEX subscriptions_by_kind ON subscriptions (kind, program_code);

-- Deliveries: which program a mail is about (filters, program managers' scope), and resends.
ALTER TABLE deliveries
    ADD COLUMN program_code  text,
    ADD COLUMN resend_of     uuid REFERENCES deliveries (id),
    ADD COLUMN requested_by  text;
CREATE INDEX deliveries_by_program ON deliveries (program_code, created_at);
CREATE INDEX deliveries_by_created ON deliveries (created_at);

-- Every attempt to hand a delivery to SMTP. The row is written (and committed) before the SMTP
-- conversation starts and finished with its outcome after it: an attempt still open when the
-- delivery is picked up again was interrupted by a crash, and the resend may be a duplicate.
CREATE TABLE delivery_attempts (
    id           bigserial PRIMARY KEY,
    delivery_id  uuid NOT NULL REFERENCES deliveries (id),
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    outcome      text CHECK (outcome IN ('sent', 'retry', 'failed', 'interrupted')),
    error        text,
    CHECK ((outcome IS NULL) = (finished_at IS NULL))
);
CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts (delivery_id, id);

-- Dead letters of every service, read from the `*.dlq` topics, once per position; an alert mail
-- summarises those not yet alerted.
CREATE TABLE dead_letters (
    id                bigserial PRIMARY KEY,
    dlq_topic         text NOT NULL,
    dlq_partition     integer NOT NULL,
    dlq_offset        bigint NOT NULL,
    origin_topic      text NOT NULL,
    reason            text NOT NULL,
    detail            text NOT NULL,
    consumer          text NOT NULL,
    dead_lettered_at  text NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now(),
    alerted_at        timestamptz,
    UNIQUE (dlq_topic, dlq_partition, dlq_offset)
);
CREATE INDEX dead_letters_unalerted ON dead_letters (id) WHERE alerted_at IS NULL;

-- One row per digest day (Asia/Seoul) once its mails are queued.
CREATE TABLE digest_runs (
    digest_date  date PRIMARY KEY,
    queued       integer NOT NULL,
    ran_at       timestamptz NOT NULL DEFAULT now()
);
