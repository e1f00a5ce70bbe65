-- Erasure requests this service took in (Kafka `intake.erasure-requests` or an admin over HTTP)
-- and the confirmations (`person.erased`) of every service; one receipt when all have confirmed.
CREATE TABLE IF NOT EXISTS erasures (
    requested_by     text NOT NULL,
    request_id       text NOT NULL,
    application_ids  text[] NOT NULL,
    email_sha256     text,
    requested_at     timestamptz NOT NULL DEFAULT now(),
    confirmations    jsonb NOT NULL DEFAULT '{}',  -- service -> {"erased": {...}, "held": [...]}
    completed_at     timestamptz,
    PRIMARY KEY (requested_by, request_id)
);
-- Finding a person's applications by address (erasure, access requests).
CREATE INDEX IF NOT EXISTS applications_by_contact_email
    ON applications (lower(submission -> 'contact' ->> 'email'));
