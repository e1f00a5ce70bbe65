-- Session data sealed at rest (adapters/session_seal.py): the tokens no longer lie in clear text
-- in this table. SQL holds no key, so existing rows cannot be sealed here; they are deleted
-- instead: everyone signed in signs in once more (a session lasts at most 10 hours anyway), and
-- the clear-text tokens are gone at once rather than when their rows would have expired.
DELETE FROM sessions;
ALTER TABLE sessions DROP COLUMN data;
ALTER TABLE sessions ADD COLUMN sealed bytea NOT NULL;
