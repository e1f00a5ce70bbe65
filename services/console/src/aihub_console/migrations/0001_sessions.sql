-- Sign-in sessions of the staff console (backend-for-frontend): the browser holds only an opaque
-- random id; this row holds what belongs to it (login state, CSRF token, language, the person's
-- tokens). The id itself is not stored, only its SHA-256: a copy of this table opens no session.
CREATE TABLE sessions (
    id_hash      bytea       PRIMARY KEY,
    data         jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    -- Idle expiry, moved forward on every request, never past `ends_at`.
    expires_at   timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
