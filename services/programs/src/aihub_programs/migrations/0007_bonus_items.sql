-- 가점: the bonus items a manager may grant per application of the cohort, and the cap on
-- their sum (NULL: no cap). Published in `cohort.published`; applications keeps the grants.
ALTER TABLE cohorts ADD COLUMN bonus_items jsonb NOT NULL DEFAULT '[]';
ALTER TABLE cohorts ADD COLUMN bonus_cap double precision;
