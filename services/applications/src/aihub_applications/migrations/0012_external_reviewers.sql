-- Panel rule: whether a reviewer of a stage's pool comes from outside the hub (외부 평가위원),
-- as the manager who named them said; a stage may require a share of them.
ALTER TABLE stage_reviewers ADD COLUMN external boolean NOT NULL DEFAULT false;
