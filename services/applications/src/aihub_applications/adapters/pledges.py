"""SQL for reviewer pledges (평가위원 서약)."""

from __future__ import annotations

from datetime import datetime

from aihub_shared.runtime.db import DbConnection


async def record(
    conn: DbConnection, cohort_code: str, stage_code: str, reviewer_id: str, version: str
) -> tuple[datetime, bool]:
    """When the reviewer accepted the pledge, and whether that was now (False: already)."""
    now: datetime | None = await conn.fetchval(
        "INSERT INTO review_pledges (cohort_code, stage_code, reviewer_id, pledge_version)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING accepted_at",
        cohort_code,
        stage_code,
        reviewer_id,
        version,
    )
    if now is not None:
        return now, True
    earlier = await accepted_at(conn, cohort_code, stage_code, reviewer_id)
    assert earlier is not None  # the conflicting row exists
    return earlier, False


async def accepted_at(
    conn: DbConnection, cohort_code: str, stage_code: str, reviewer_id: str
) -> datetime | None:
    at: datetime | None = await conn.fetchval(
        "SELECT accepted_at FROM review_pledges"
        " WHERE cohort_code = $1 AND stage_code = $2 AND reviewer_id = $3",
        cohort_code,
        stage_code,
        reviewer_id,
    )
    return at
