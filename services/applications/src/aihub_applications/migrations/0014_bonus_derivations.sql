-- 가점 derived from declared answers (issue 14, rule 3): each (application, item) derived once.
-- A manager's revocation deletes the grant but not this row, so the item is never derived again.
CREATE TABLE bonus_derivations (
    application_id uuid NOT NULL REFERENCES applications (id),
    item_code      text NOT NULL,
    derived_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, item_code)
);
