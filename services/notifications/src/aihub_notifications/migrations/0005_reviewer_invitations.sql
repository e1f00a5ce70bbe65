-- Reviewers named by a manager who may have no account yet: one row per person (lower-cased
-- e-mail), however often they are named. The invitation worker asks Keycloak to create the
-- account and mail the invitation; a Keycloak outage leaves the row pending, retried with backoff.
CREATE TABLE reviewer_invitations (
    email            text PRIMARY KEY,
    name             text NOT NULL,
    first_event_id   text NOT NULL,
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'invited', 'had_account')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    done_at          timestamptz
);

CREATE INDEX reviewer_invitations_due ON reviewer_invitations (next_attempt_at)
    WHERE state = 'pending';
