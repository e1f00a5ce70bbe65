-- An assignment's history entry names its reviewer, and the reviewer they replace, in columns:
-- what a reviewer may see of the history is decided on them, not by reading the text.
ALTER TABLE application_history
    ADD COLUMN reviewer_id          text,
    ADD COLUMN replaced_reviewer_id text;

-- Entries written before: "reviewer <id> assigned[ in place of <id>]" (ids are e-mails, so
-- without spaces).
UPDATE application_history
SET reviewer_id          = split_part(reason, ' ', 2),
    replaced_reviewer_id = substring(reason FROM ' in place of (\S+)$')
WHERE action = 'assigned' AND reason LIKE 'reviewer % assigned%';
