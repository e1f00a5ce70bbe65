-- 이의제기: an applicant's appeal of the rejection of their application in a stage (or of its
-- non-selection in the last stage), filed by a manager or a publishing system for them, within
-- the stage's appeal window. One appeal per decision: `decision_at` is the appealed rejection's
-- time, and a rejection after an upheld appeal is a new decision.
CREATE TABLE appeals (
    id                   uuid PRIMARY KEY,
    application_id       uuid NOT NULL REFERENCES applications (id),
    stage_code           text NOT NULL,
    decision_at          timestamptz NOT NULL,
    reason               text NOT NULL,
    disclosure_requested boolean NOT NULL DEFAULT false,
    filed_by             text NOT NULL,
    filed_at             timestamptz NOT NULL DEFAULT now(),
    status               text NOT NULL DEFAULT 'open'
                         CHECK (status IN ('open', 'upheld', 'dismissed')),
    decision_reason      text,
    decided_by           text,
    decided_at           timestamptz,
    reinstated_to_stage  text,
    UNIQUE (application_id, decision_at)
);

-- Appeals and challenges sent by publishing systems over Kafka (`intake.selection-requests`):
-- the receipt each request earned, so the same request sent again earns the same receipt.
CREATE TABLE selection_requests (
    submitted_by text NOT NULL,
    request_id   text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('appeal', 'challenge')),
    receipt      jsonb NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (submitted_by, request_id)
);
