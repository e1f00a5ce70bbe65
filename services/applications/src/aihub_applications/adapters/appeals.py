"""SQL for appeals (이의제기) and the receipts of selection requests sent over Kafka."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from aihub_shared.runtime.db import DbConnection


async def rejected_at(conn: DbConnection, application_id: uuid.UUID) -> datetime | None:
    """When the application was last rejected (the decision an appeal is about)."""
    at: datetime | None = await conn.fetchval(
        "SELECT max(at) FROM application_history WHERE application_id = $1"
        " AND to_status = 'rejected' AND from_status IS DISTINCT FROM 'rejected'",
        application_id,
    )
    return at


async def insert(
    conn: DbConnection,
    application_id: uuid.UUID,
    stage_code: str,
    decision_at: datetime,
    reason: str,
    *,
    disclosure_requested: bool,
    filed_by: str,
) -> dict[str, Any] | None:
    """The new appeal; None when that decision was already appealed."""
    row = await conn.fetchrow(
        "INSERT INTO appeals (id, application_id, stage_code, decision_at, reason,"
        " disclosure_requested, filed_by) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (application_id, decision_at) DO NOTHING RETURNING *",
        uuid.uuid4(),
        application_id,
        stage_code,
        decision_at,
        reason,
        disclosure_requested,
        filed_by,
    )
    return dict(row) if row is not None else None


async def of_decision(
    conn: DbConnection, application_id: uuid.UUID, decision_at: datetime
) -> uuid.UUID | None:
    found: uuid.UUID | None = await conn.fetchval(
        "SELECT id FROM appeals WHERE application_id = $1 AND decision_at = $2",
        application_id,
        decision_at,
    )
    return found


async def application_of(conn: DbConnection, appeal_id: uuid.UUID) -> uuid.UUID | None:
    """The appealed application (no lock: to take the cohort lock before the row locks)."""
    found: uuid.UUID | None = await conn.fetchval(
        "SELECT application_id FROM appeals WHERE id = $1", appeal_id
    )
    return found


async def lock(conn: DbConnection, appeal_id: uuid.UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM appeals WHERE id = $1 FOR UPDATE", appeal_id)
    return dict(row) if row is not None else None


async def decide(
    conn: DbConnection,
    appeal_id: uuid.UUID,
    status: str,
    reason: str,
    decided_by: str,
    reinstated_to_stage: str | None,
) -> dict[str, Any]:
    row = await conn.fetchrow(
        "UPDATE appeals SET status = $2, decision_reason = $3, decided_by = $4,"
        " decided_at = now(), reinstated_to_stage = $5 WHERE id = $1 RETURNING *",
        appeal_id,
        status,
        reason,
        decided_by,
        reinstated_to_stage,
    )
    assert row is not None  # locked by the caller; appeals are never deleted
    return dict(row)


async def of_application(conn: DbConnection, application_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT * FROM appeals WHERE application_id = $1 ORDER BY filed_at",
        application_id,
    )
    return [dict(r) for r in rows]


async def lock_request(conn: DbConnection, submitted_by: str, request_id: str) -> None:
    """Serialises two deliveries of one request (two event ids, one request id)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext($1))", f"selection:{submitted_by}:{request_id}"
    )


async def stored_receipt(
    conn: DbConnection, submitted_by: str, request_id: str
) -> dict[str, Any] | None:
    receipt = await conn.fetchval(
        "SELECT receipt FROM selection_requests WHERE submitted_by = $1 AND request_id = $2",
        submitted_by,
        request_id,
    )
    return dict(receipt) if receipt is not None else None


async def store_receipt(
    conn: DbConnection, submitted_by: str, request_id: str, kind: str, receipt: dict[str, Any]
) -> None:
    await conn.execute(
        "INSERT INTO selection_requests (submitted_by, request_id, kind, receipt)"
        " VALUES ($1, $2, $3, $4)",
        submitted_by,
        request_id,
        kind,
        receipt,
    )


async def submitted_by(conn: DbConnection, application_id: uuid.UUID) -> str | None:
    """Which publishing system (`source`) submitted the application; None: no such one."""
    found: str | None = await conn.fetchval(
        "SELECT submitted_by FROM applications WHERE id = $1", application_id
    )
    return found


async def of_cohort(
    conn: DbConnection, cohort_code: str, status: str | None = None
) -> list[dict[str, Any]]:
    """The cohort's appeals (optionally of one status), oldest first, with the startup's name."""
    rows = await conn.fetch(
        "SELECT ap.*, a.startup_name FROM appeals ap JOIN applications a"
        " ON a.id = ap.application_id WHERE a.cohort_code = $1"
        " AND ($2::text IS NULL OR ap.status = $2) ORDER BY ap.filed_at, ap.id",
        cohort_code,
        status,
    )
    return [dict(r) for r in rows]
