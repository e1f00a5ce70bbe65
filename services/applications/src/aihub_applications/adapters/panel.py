"""SQL for the panel rules: which reviewers of a stage are external."""

from __future__ import annotations

from collections.abc import Sequence

from aihub_shared.runtime.db import DbConnection


async def mark_external(
    conn: DbConnection, cohort_code: str, stage_code: str, reviewer_ids: Sequence[str]
) -> None:
    await conn.execute(
        "UPDATE stage_reviewers SET external = true"
        " WHERE cohort_code = $1 AND stage_code = $2 AND reviewer_id = ANY($3::text[])",
        cohort_code,
        stage_code,
        list(reviewer_ids),
    )


async def stage_panel(conn: DbConnection, cohort_code: str, stage_code: str) -> dict[str, bool]:
    """Reviewer → external, for every reviewer with an assignment that counts in the stage."""
    rows = await conn.fetch(
        "SELECT DISTINCT ra.reviewer_id, coalesce(sr.external, false) AS external"
        " FROM review_assignments ra JOIN applications a ON a.id = ra.application_id"
        " LEFT JOIN stage_reviewers sr ON sr.cohort_code = a.cohort_code"
        " AND sr.stage_code = ra.stage_code AND sr.reviewer_id = ra.reviewer_id"
        " WHERE a.cohort_code = $1 AND ra.stage_code = $2 AND ra.conflict_reason IS NULL",
        cohort_code,
        stage_code,
    )
    return {r["reviewer_id"]: r["external"] for r in rows}


async def external_in_pool(conn: DbConnection, cohort_code: str, stage_code: str) -> set[str]:
    """The reviewers of the stage's pool marked external."""
    rows = await conn.fetch(
        "SELECT reviewer_id FROM stage_reviewers"
        " WHERE cohort_code = $1 AND stage_code = $2 AND external",
        cohort_code,
        stage_code,
    )
    return {r["reviewer_id"] for r in rows}
