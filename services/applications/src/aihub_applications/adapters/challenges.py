"""SQL for challenges of reviewers (기피 신청)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from aihub_shared.runtime.db import DbConnection


async def file(
    conn: DbConnection,
    application_id: uuid.UUID,
    stage_code: str,
    reviewer_id: str,
    reason: str,
    filed_by: str,
) -> tuple[uuid.UUID, datetime] | None:
    """The new challenge's id and time; None when one is already open for that reviewer."""
    row = await conn.fetchrow(
        "INSERT INTO review_challenges (id, application_id, stage_code, reviewer_id, reason,"
        " filed_by) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (application_id, stage_code, reviewer_id) WHERE status = 'open'"
        " DO NOTHING RETURNING id, filed_at",
        uuid.uuid4(),
        application_id,
        stage_code,
        reviewer_id,
        reason,
        filed_by,
    )
    return (row["id"], row["filed_at"]) if row is not None else None


async def lock(conn: DbConnection, challenge_id: uuid.UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT id, application_id, stage_code, reviewer_id, reason, filed_by, filed_at, status"
        " FROM review_challenges WHERE id = $1 FOR UPDATE",
        challenge_id,
    )
    return dict(row) if row is not None else None


async def decide(
    conn: DbConnection, challenge_id: uuid.UUID, status: str, reason: str, decided_by: str
) -> None:
    await conn.execute(
        "UPDATE review_challenges SET status = $2, decision_reason = $3, decided_by = $4,"
        " decided_at = now() WHERE id = $1",
        challenge_id,
        status,
        reason,
        decided_by,
    )


async def open_in_stage(
    conn: DbConnection, cohort_code: str, stage_code: str
) -> frozenset[tuple[str, str]]:
    """(application id, reviewer id) of every open challenge in a cohort's stage."""
    rows = await conn.fetch(
        "SELECT c.application_id::text AS application_id, c.reviewer_id"
        " FROM review_challenges c JOIN applications a ON a.id = c.application_id"
        " WHERE a.cohort_code = $1 AND c.stage_code = $2 AND c.status = 'open'",
        cohort_code,
        stage_code,
    )
    return frozenset((r["application_id"], r["reviewer_id"]) for r in rows)


async def application_of(conn: DbConnection, challenge_id: uuid.UUID) -> uuid.UUID | None:
    """The challenged application (no lock: to take the cohort lock before the row locks)."""
    found: uuid.UUID | None = await conn.fetchval(
        "SELECT application_id FROM review_challenges WHERE id = $1", challenge_id
    )
    return found


async def listed(
    conn: DbConnection,
    cohort_code: str,
    *,
    status: str | None = None,
    application_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """The cohort's challenges (optionally of one status or application), oldest first, with
    the application's startup name and the challenged reviewer's name."""
    rows = await conn.fetch(
        "SELECT c.id AS challenge_id, c.application_id, a.startup_name, c.stage_code,"
        " c.reviewer_id, coalesce(r.reviewer_name, c.reviewer_id) AS reviewer_name, c.reason,"
        " c.filed_by, c.filed_at, c.status, c.decision_reason, c.decided_by, c.decided_at"
        " FROM review_challenges c JOIN applications a ON a.id = c.application_id"
        " LEFT JOIN review_assignments r ON r.application_id = c.application_id"
        " AND r.stage_code = c.stage_code AND r.reviewer_id = c.reviewer_id"
        " WHERE a.cohort_code = $1 AND ($2::text IS NULL OR c.status = $2)"
        " AND ($3::uuid IS NULL OR c.application_id = $3)"
        " ORDER BY c.filed_at, c.id",
        cohort_code,
        status,
        application_id,
    )
    return [dict(r) for r in rows]
