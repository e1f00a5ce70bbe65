"""SQL for the programs schema."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from aihub_programs.domain.allocation import SeatState
from aihub_programs.domain.catalog import CohortSpec, ProgramSpec
from aihub_shared.runtime.db import DbConnection


async def upsert_program(conn: DbConnection, program: ProgramSpec) -> None:
    await conn.execute(
        "INSERT INTO programs (code, name_ko, name_en, partner, description, managers)"
        " VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (code) DO UPDATE SET name_ko = $2, name_en = $3, partner = $4,"
        " description = $5, managers = $6, updated_at = now()",
        program.code,
        program.name_ko,
        program.name_en,
        program.partner,
        program.description,
        [m.model_dump(mode="json") for m in program.program_managers],
    )


async def upsert_cohort(conn: DbConnection, program_code: str, cohort: CohortSpec) -> None:
    await conn.execute(
        "INSERT INTO cohorts (code, program_code, seats, application_opens_at,"
        " application_closes_at, starts_on, ends_on, max_startup_age_years)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (code) DO UPDATE SET program_code = $2, seats = $3,"
        " application_opens_at = $4, application_closes_at = $5, starts_on = $6, ends_on = $7,"
        " max_startup_age_years = $8, updated_at = now()",
        cohort.code,
        program_code,
        cohort.seats,
        cohort.application_opens_at,
        cohort.application_closes_at,
        cohort.starts_on,
        cohort.ends_on,
        cohort.max_startup_age_years,
    )


_COHORT_VIEW = (
    "SELECT c.code AS cohort_code, c.seats, c.application_opens_at, c.application_closes_at,"
    " c.starts_on, c.ends_on, c.max_startup_age_years, p.code AS program_code,"
    " p.name_ko AS program_name_ko, p.name_en AS program_name_en, p.partner,"
    " p.managers AS program_managers"
    " FROM cohorts c JOIN programs p ON p.code = c.program_code"
)


async def cohort_view(conn: DbConnection, cohort_code: str) -> dict[str, Any] | None:
    """The cohort with its program, in the shape of the `cohort.published` event."""
    row = await conn.fetchrow(_COHORT_VIEW + " WHERE c.code = $1", cohort_code)
    return dict(row) if row else None


async def lock_cohort(conn: DbConnection, cohort_code: str) -> asyncpg.Record | None:
    """Row-lock the cohort: every seat decision for it is serialized behind this lock."""
    return await conn.fetchrow(
        "SELECT code, program_code, seats FROM cohorts WHERE code = $1 FOR UPDATE", cohort_code
    )


async def seat_state(conn: DbConnection, cohort_code: str, seats: int) -> SeatState:
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE status = 'confirmed') AS confirmed,"
        " count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted"
        " FROM enrollments WHERE cohort_code = $1",
        cohort_code,
    )
    assert row is not None
    return SeatState(seats=seats, confirmed=row["confirmed"], waitlisted=row["waitlisted"])


async def enrollment_for(conn: DbConnection, application_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, cohort_code, status FROM enrollments WHERE application_id = $1",
        application_id,
    )


async def insert_enrollment(
    conn: DbConnection,
    *,
    application_id: str,
    cohort_code: str,
    startup_name: str,
    status: str,
    waitlist_position: int | None,
) -> uuid.UUID:
    enrollment_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO enrollments (id, application_id, cohort_code, startup_name, status,"
        " waitlist_position) VALUES ($1, $2, $3, $4, $5, $6)",
        enrollment_id,
        application_id,
        cohort_code,
        startup_name,
        status,
        waitlist_position,
    )
    return enrollment_id


async def cohort_enrollments(conn: DbConnection, cohort_code: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT id::text AS enrollment_id, application_id, startup_name, status,"
        " waitlist_position, created_at FROM enrollments WHERE cohort_code = $1"
        " ORDER BY status, waitlist_position NULLS FIRST, created_at",
        cohort_code,
    )
    return [dict(r) for r in rows]
