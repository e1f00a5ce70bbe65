"""Whether the inputs of a cohort's ranking and of its closing previews changed: a fingerprint
of the row versions they are computed from (the cohort's rules, its applications, their review
assignments and scores, challenges, bonus grants, and the stages' reviewer pools with who is
external).

Every write to a row gives it a new version stamped with the writing transaction's id (its
`xmin`), whatever the code path that wrote it: the row count and the multiset of `xmin`s of the
inputs change with any change to an input — also one made by a path added later — without a
trigger or a counter every writer must remember to bump (and that every scoring transaction
would then queue on). Vacuum freezing a row changes its `xmin` too: a needless recomputation,
never a stale ranking. A new table the ranking or a preview reads must join the list below
(`service_layer/kept.py` keeps them under it).
"""

from __future__ import annotations

from aihub_shared.runtime.db import DbConnection

# Per table: how many rows, and the sum of a 64-bit hash of each row's version.
_FINGERPRINT = """
SELECT concat_ws('/', current_database(), current_schema(), $1::text),
       concat_ws(':',
  (SELECT xmin::text FROM cohorts WHERE cohort_code = $1),
  (SELECT count(*) || '/' || coalesce(sum(hashtextextended(xmin::text, 0)), 0)
     FROM applications WHERE cohort_code = $1),
  (SELECT count(*) || '/' || coalesce(sum(hashtextextended(r.xmin::text, 0)), 0)
     FROM review_assignments r JOIN applications a ON a.id = r.application_id
    WHERE a.cohort_code = $1),
  (SELECT count(*) || '/' || coalesce(sum(hashtextextended(c.xmin::text, 0)), 0)
     FROM review_challenges c JOIN applications a ON a.id = c.application_id
    WHERE a.cohort_code = $1),
  (SELECT count(*) || '/' || coalesce(sum(hashtextextended(b.xmin::text, 0)), 0)
     FROM bonus_grants b JOIN applications a ON a.id = b.application_id
    WHERE a.cohort_code = $1),
  (SELECT count(*) || '/' || coalesce(sum(hashtextextended(s.xmin::text, 0)), 0)
     FROM stage_reviewers s WHERE s.cohort_code = $1))
"""


async def fingerprint(conn: DbConnection, cohort_code: str) -> tuple[str, str]:
    """Which ranking (database, schema, cohort) and the fingerprint of its inputs: equal for
    two snapshots only if no input changed between them (up to a collision of sums of 64-bit
    hashes)."""
    row = await conn.fetchrow(_FINGERPRINT, cohort_code)
    assert row is not None  # a SELECT without FROM has its one row
    return row[0], row[1]
