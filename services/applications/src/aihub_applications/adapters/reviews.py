"""SQL for reviewer pools, assignments and scores."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aihub_applications.domain.progress import AssignmentState
from aihub_applications.domain.review import ReviewAssignment
from aihub_shared.runtime.db import DbConnection


@dataclass(frozen=True)
class LockedAssignment(ReviewAssignment):
    """The calling reviewer's own assignment, locked while they score or recuse."""

    reviewer_name: str
    due_at: datetime | None


async def add_to_pool(
    conn: DbConnection,
    cohort_code: str,
    stage_code: str,
    reviewers: list[tuple[str, str]],
    added_by: str,
) -> None:
    await conn.executemany(
        "INSERT INTO stage_reviewers (cohort_code, stage_code, reviewer_id, reviewer_name,"
        " added_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        [(cohort_code, stage_code, rid, name, added_by) for rid, name in reviewers],
    )


async def pool(conn: DbConnection, cohort_code: str, stage_code: str) -> dict[str, str]:
    """Reviewer id → name, in the order they were added."""
    rows = await conn.fetch(
        "SELECT reviewer_id, reviewer_name FROM stage_reviewers"
        " WHERE cohort_code = $1 AND stage_code = $2 ORDER BY added_at, reviewer_id",
        cohort_code,
        stage_code,
    )
    return {r["reviewer_id"]: r["reviewer_name"] for r in rows}


async def stage_assignments(
    conn: DbConnection, cohort_code: str, stage_code: str
) -> list[ReviewAssignment]:
    rows = await conn.fetch(
        "SELECT r.application_id::text AS application_id, r.reviewer_id, r.conflict_reason,"
        " r.scores FROM review_assignments r JOIN applications a ON a.id = r.application_id"
        " WHERE a.cohort_code = $1 AND r.stage_code = $2",
        cohort_code,
        stage_code,
    )
    return [ReviewAssignment(**dict(r)) for r in rows]


async def insert_assignment(
    conn: DbConnection,
    application_id: uuid.UUID,
    stage_code: str,
    reviewer: tuple[str, str],
    *,
    assigned_by: str,
    replaces: str | None = None,
    due_at: datetime | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO review_assignments (application_id, stage_code, reviewer_id, reviewer_name,"
        " assigned_by, replaces, due_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        application_id,
        stage_code,
        reviewer[0],
        reviewer[1],
        assigned_by,
        replaces,
        due_at,
    )


async def lock_assignment(
    conn: DbConnection,
    application_id: uuid.UUID,
    stage_code: str,
    reviewer_id: str,
    *,
    lock: bool = True,
) -> LockedAssignment | None:
    locking = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(
        "SELECT application_id::text AS application_id, reviewer_id, reviewer_name,"  # noqa: S608 - a fixed clause
        " conflict_reason, scores, due_at FROM review_assignments"
        f" WHERE application_id = $1 AND stage_code = $2 AND reviewer_id = $3{locking}",
        application_id,
        stage_code,
        reviewer_id,
    )
    return LockedAssignment(**dict(row)) if row is not None else None


async def declare_conflict(
    conn: DbConnection, application_id: uuid.UUID, stage_code: str, reviewer_id: str, reason: str
) -> None:
    await conn.execute(
        "UPDATE review_assignments SET conflict_reason = $4"
        " WHERE application_id = $1 AND stage_code = $2 AND reviewer_id = $3",
        application_id,
        stage_code,
        reviewer_id,
        reason,
    )


async def record_scores(
    conn: DbConnection,
    application_id: uuid.UUID,
    stage_code: str,
    reviewer_id: str,
    scores: dict[str, int],
    comment: str,
) -> datetime:
    """Store the scores; when they were recorded."""
    scored_at: datetime = await conn.fetchval(
        "UPDATE review_assignments SET scores = $4, comment = $5, scored_at = now()"
        " WHERE application_id = $1 AND stage_code = $2 AND reviewer_id = $3"
        " RETURNING scored_at",
        application_id,
        stage_code,
        reviewer_id,
        scores,
        comment,
    )
    return scored_at


async def reviews_of(conn: DbConnection, application_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT stage_code, reviewer_id, reviewer_name, assigned_by, assigned_at, due_at, replaces,"
        " conflict_reason, scores, comment, scored_at FROM review_assignments"
        " WHERE application_id = $1 ORDER BY assigned_at, reviewer_id",
        application_id,
    )
    return [dict(r) for r in rows]


async def is_assigned(conn: DbConnection, application_id: uuid.UUID, reviewer_id: str) -> bool:
    """Assigned in any stage and not recused: what lets a reviewer see an application."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM review_assignments WHERE application_id = $1"
            " AND reviewer_id = $2 AND conflict_reason IS NULL)",
            application_id,
            reviewer_id,
        )
    )


async def assignment_states(
    conn: DbConnection, cohort_code: str, stage_code: str
) -> list[AssignmentState]:
    """The stage's assignments grouped by the state progress reads (a few rows per reviewer,
    not one per assignment: counting them is `domain.progress`)."""
    rows = await conn.fetch(
        "SELECT r.reviewer_id, min(r.reviewer_name) AS reviewer_name,"
        " r.conflict_reason IS NOT NULL AS conflict, r.scores IS NOT NULL AS scored, r.due_at,"
        # NULL stage: the first stage, the only one assigned before any application advanced.
        " a.status = 'received' AND coalesce(a.stage_code, r.stage_code) = r.stage_code AS open,"
        " count(*) AS count"
        " FROM review_assignments r JOIN applications a ON a.id = r.application_id"
        " WHERE a.cohort_code = $1 AND r.stage_code = $2"
        " GROUP BY r.reviewer_id, conflict, scored, r.due_at, open",
        cohort_code,
        stage_code,
    )
    return [AssignmentState(**dict(r)) for r in rows]
