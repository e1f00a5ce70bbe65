-- Replicas: what notifications keeps of other services' state, built from their events only.
-- `event_time` is the `time` of the event that wrote the row: an older event never overwrites it.

CREATE TABLE cohorts (
    cohort_code       text PRIMARY KEY,
    program_code      text NOT NULL,
    program_name_ko   text NOT NULL,
    program_name_en   text NOT NULL,
    partner           text,
    starts_on         date,
    ends_on           date,
    program_managers  jsonb NOT NULL DEFAULT '[]',  -- [Contact], as in cohort.published
    event_id          text NOT NULL,
    event_time        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE applicants (
    application_id  text PRIMARY KEY,
    program_code    text NOT NULL,
    cohort_code     text NOT NULL,
    startup_name    text NOT NULL,
    contact_name    text NOT NULL,
    contact_email   text NOT NULL,
    contact_locale  text NOT NULL CHECK (contact_locale IN ('ko', 'en')),
    event_id        text NOT NULL,
    event_time      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- One row per e-mail to one recipient because of one event, rendered when the event was handled.
-- The id is uuid5(event id, lower(recipient), template), and that triple is unique as well: a
-- redelivered or replayed event inserts nothing new, so nobody gets the same e-mail twice.
CREATE TABLE deliveries (
    id               uuid PRIMARY KEY,
    event_id         text NOT NULL,   -- the CloudEvent that caused the e-mail
    event_type       text NOT NULL,
    correlation_id   text,
    template         text NOT NULL,
    locale           text NOT NULL CHECK (locale IN ('ko', 'en')),
    recipient        text NOT NULL,
    recipient_name   text NOT NULL,
    subject          text NOT NULL,
    body_text        text NOT NULL,
    body_html        text NOT NULL,
    message_id       text NOT NULL UNIQUE,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    sent_at          timestamptz,
    failed_at        timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    CHECK ((status = 'failed') = (failed_at IS NOT NULL))
);
CREATE UNIQUE INDEX deliveries_once ON deliveries (event_id, lower(recipient), template);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, created_at) WHERE status = 'pending';

-- Wake the mail sender as soon as a transaction that queued e-mails commits (channel
-- `<schema>_deliveries`, i.e. `notifications_deliveries`); it also polls, so nothing is lost
-- if a notification is.
CREATE FUNCTION deliveries_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_TABLE_SCHEMA || '_deliveries', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER deliveries_notify AFTER INSERT ON deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION deliveries_notify();
