"""SQL for what blind review needs to know of one reviewer's assignments."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from aihub_shared.runtime.db import DbConnection


@dataclass(frozen=True)
class ReviewerReach:
    """One application a reviewer is assigned (and did not recuse from), in which stages."""

    application_id: str
    program_code: str
    cohort_code: str
    stage_codes: frozenset[str]


async def reviewer_reach(
    conn: DbConnection, reviewer_id: str, application_ids: list[str] | None = None
) -> list[ReviewerReach]:
    """The reviewer's live assignments, by application (all of them when `application_ids` is
    None)."""
    rows = await conn.fetch(
        "SELECT a.id::text AS application_id, a.program_code, a.cohort_code, ra.stage_code"
        " FROM review_assignments ra JOIN applications a ON a.id = ra.application_id"
        " WHERE ra.reviewer_id = $1 AND ra.conflict_reason IS NULL"
        " AND ($2::uuid[] IS NULL OR a.id = ANY($2::uuid[]))",
        reviewer_id,
        application_ids,
    )
    stages: defaultdict[tuple[str, str, str], set[str]] = defaultdict(set)
    for r in rows:
        stages[(r["application_id"], r["program_code"], r["cohort_code"])].add(r["stage_code"])
    return [
        ReviewerReach(app, program, cohort, frozenset(codes))
        for (app, program, cohort), codes in stages.items()
    ]
