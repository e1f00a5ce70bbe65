"""SQL for the applications schema."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from aihub_applications.domain.eligibility import CohortRules
from aihub_applications.domain.status import Status
from aihub_shared.contracts.intake import ApplicationSubmitted, Refusal
from aihub_shared.contracts.programs import CohortPublished
from aihub_shared.runtime.db import DbConnection


async def replicate_cohort(
    conn: DbConnection, cohort: CohortPublished, event_time: datetime
) -> None:
    # An older event (a replay, a compaction leftover) never overwrites a newer state.
    await conn.execute(
        "INSERT INTO cohorts (cohort_code, program_code, program_name_ko, program_name_en, seats,"
        " application_opens_at, application_closes_at, max_startup_age_years, event_time)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (cohort_code) DO UPDATE SET program_code = $2, program_name_ko = $3,"
        " program_name_en = $4, seats = $5, application_opens_at = $6,"
        " application_closes_at = $7, max_startup_age_years = $8, event_time = $9,"
        " replicated_at = now()"
        " WHERE cohorts.event_time <= EXCLUDED.event_time",
        cohort.cohort_code,
        cohort.program_code,
        cohort.program_name_ko,
        cohort.program_name_en,
        cohort.seats,
        cohort.application_opens_at,
        cohort.application_closes_at,
        cohort.max_startup_age_years,
        event_time,
    )


async def cohort_rules(conn: DbConnection, cohort_code: str) -> CohortRules | None:
    row = await conn.fetchrow(
        "SELECT cohort_code, program_code, application_opens_at, application_closes_at,"
        " max_startup_age_years FROM cohorts WHERE cohort_code = $1",
        cohort_code,
    )
    return CohortRules(**dict(row)) if row else None


async def list_cohorts(conn: DbConnection) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM cohorts ORDER BY application_closes_at, cohort_code")
    return [dict(r) for r in rows]


async def find_by_submission(
    conn: DbConnection, submitted_by: str, submission_id: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, content_hash, status, refusals FROM applications"
        " WHERE submitted_by = $1 AND submission_id = $2",
        submitted_by,
        submission_id,
    )


async def lock_brn_in_cohort(conn: DbConnection, cohort_code: str, brn: str) -> None:
    """Serialize submissions of one business in one cohort, so the duplicate check is exact."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"brn:{cohort_code}:{brn}")


async def active_application_for_brn(conn: DbConnection, cohort_code: str, brn: str) -> str | None:
    value = await conn.fetchval(
        "SELECT id::text FROM applications WHERE cohort_code = $1"
        " AND business_registration_number = $2 AND status <> 'ineligible'",
        cohort_code,
        brn,
    )
    return str(value) if value is not None else None


async def insert_application(
    conn: DbConnection,
    *,
    submitted_by: str,
    submission: ApplicationSubmitted,
    content_hash: str,
    status: Status,
    refusals: list[Refusal],
    actor: str,
) -> uuid.UUID:
    application_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO applications (id, submitted_by, submission_id, content_hash, program_code,"
        " cohort_code, startup_name, business_registration_number, submission, status, refusals)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        application_id,
        submitted_by,
        submission.submission_id,
        content_hash,
        submission.program_code,
        submission.cohort_code,
        submission.startup.name,
        submission.startup.business_registration_number,
        submission.model_dump(mode="json"),
        status.value,
        [r.model_dump() for r in refusals],
    )
    reason = "; ".join(r.code for r in refusals) or "submission received"
    await add_history(conn, application_id, None, status, actor, reason)
    return application_id


async def add_history(
    conn: DbConnection,
    application_id: uuid.UUID,
    from_status: Status | None,
    to_status: Status,
    actor: str,
    reason: str,
) -> None:
    await conn.execute(
        "INSERT INTO application_history (application_id, from_status, to_status, actor, reason)"
        " VALUES ($1, $2, $3, $4, $5)",
        application_id,
        from_status.value if from_status else None,
        to_status.value,
        actor,
        reason,
    )


async def lock_application(conn: DbConnection, application_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, status, program_code, cohort_code, startup_name,"
        " business_registration_number FROM applications WHERE id = $1 FOR UPDATE",
        application_id,
    )


async def set_status(conn: DbConnection, application_id: uuid.UUID, status: Status) -> None:
    await conn.execute(
        "UPDATE applications SET status = $2, updated_at = now() WHERE id = $1",
        application_id,
        status.value,
    )


async def application_detail(
    conn: DbConnection, application_id: uuid.UUID
) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT id, submitted_by, submission_id, program_code, cohort_code, startup_name,"
        " business_registration_number, status, refusals, submission, created_at, updated_at"
        " FROM applications WHERE id = $1",
        application_id,
    )
    if row is None:
        return None
    history = await conn.fetch(
        "SELECT from_status, to_status, actor, reason, at FROM application_history"
        " WHERE application_id = $1 ORDER BY id",
        application_id,
    )
    return {**dict(row), "history": [dict(h) for h in history]}


async def list_applications(
    conn: DbConnection, *, cohort_code: str | None, status: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT id, submitted_by, submission_id, program_code, cohort_code, startup_name, status,"
        " created_at, updated_at FROM applications"
        " WHERE ($1::text IS NULL OR cohort_code = $1) AND ($2::text IS NULL OR status = $2)"
        " ORDER BY created_at, id LIMIT $3 OFFSET $4",
        cohort_code,
        status,
        limit,
        offset,
    )
    return [dict(r) for r in rows]
