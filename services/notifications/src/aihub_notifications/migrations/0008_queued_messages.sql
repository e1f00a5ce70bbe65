-- The message of a delivery, built when it is queued (issue 16): sending is then the SMTP
-- conversation alone. It holds what the subject and bodies hold (personal data): the erasure
-- clears it with them. NULL for rows queued before, and for non-ASCII addresses (built when sent).
ALTER TABLE deliveries ADD COLUMN message bytea;
