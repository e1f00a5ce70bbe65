"""SQL for the seats: the cohort lock and the enrollments that compete for its seats (what one
seat decision loads and stores is in `seats.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from aihub_shared.runtime.db import DbConnection


@dataclass(frozen=True)
class LockedCohort:
    code: str
    program_code: str
    seats: int
    agreement_due_days: int
    ends_on: date | None = None
    #: Kept by a trigger on enrollments (migration 0004): the confirmed and waiting ones.
    seats_taken: int = 0
    waitlisted: int = 0


async def lock_cohort(conn: DbConnection, cohort_code: str) -> LockedCohort | None:
    """Row-lock the cohort: every seat decision for it is serialized behind this lock, across
    transactions and across instances of the service."""
    row = await conn.fetchrow(
        "SELECT code, program_code, seats, agreement_due_days, ends_on, seats_taken, waitlisted"
        " FROM cohorts WHERE code = $1 FOR UPDATE",
        cohort_code,
    )
    return LockedCohort(**dict(row)) if row else None


async def next_arrival(conn: DbConnection) -> int:
    value: int = await conn.fetchval(
        "SELECT nextval(pg_get_serial_sequence('enrollments', 'arrival'))"
    )
    return value


async def enrollment_row(conn: DbConnection, application_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM enrollments WHERE application_id = $1", application_id)
    return dict(row) if row else None


async def due_agreements(conn: DbConnection, now: datetime, limit: int) -> list[tuple[str, str]]:
    """(cohort, application) of unsigned seats whose agreement deadline has passed."""
    rows = await conn.fetch(
        "SELECT cohort_code, application_id FROM enrollments"
        " WHERE status = 'confirmed' AND agreement_signed_at IS NULL AND agreement_due_at <= $1"
        " ORDER BY agreement_due_at LIMIT $2",
        now,
        limit,
    )
    return [(r["cohort_code"], r["application_id"]) for r in rows]


async def ended_cohorts_with_waitlist(conn: DbConnection, now: datetime) -> list[str]:
    """Cohorts whose last day is over in Seoul and that still have startups waiting."""
    rows = await conn.fetch(
        "SELECT code FROM cohorts c"
        " WHERE c.ends_on < ($1::timestamptz AT TIME ZONE 'Asia/Seoul')::date"
        " AND EXISTS (SELECT 1 FROM enrollments e"
        "   WHERE e.cohort_code = c.code AND e.status = 'waitlisted')"
        " ORDER BY code",
        now,
    )
    return [r["code"] for r in rows]


# Tombstones (withdrawals of applications never enrolled) are no one's enrollment: only an
# acceptance stores the registration number.
_LISTED = (
    " FROM enrollments WHERE cohort_code = $1"
    " AND NOT (status = 'cancelled' AND business_registration_number IS NULL)"
)


async def enrollment_counts(conn: DbConnection, cohort_code: str) -> tuple[int, int]:
    """How many of the cohort's enrollments hold a seat, and how many wait."""
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE status = 'confirmed') AS confirmed,"
        " count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted"
        " FROM enrollments WHERE cohort_code = $1",
        cohort_code,
    )
    assert row is not None  # an aggregate always answers one row
    return int(row["confirmed"]), int(row["waitlisted"])


async def cohort_enrollments(
    conn: DbConnection, cohort_code: str, status: str | None, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of the cohort's enrollments (of one status, if given) and how many there are:
    seats first, then the waitlist in its order, then the cancelled ones. Waitlist positions
    are counted over the whole waitlist (never stored), whatever the page."""
    rows = await conn.fetch(
        "SELECT * FROM (SELECT id::text AS enrollment_id, application_id, startup_name,"  # noqa: S608
        " business_registration_number, status, rank, arrival, agreement_due_at,"
        " agreement_signed_at, reason, created_at, updated_at,"
        " CASE WHEN status = 'waitlisted' THEN row_number() OVER (PARTITION BY status"
        "   ORDER BY rank NULLS LAST, arrival) END AS waitlist_position"
        f"{_LISTED}) listed WHERE $2::text IS NULL OR status = $2"
        " ORDER BY array_position(ARRAY['confirmed', 'waitlisted', 'cancelled'], status),"
        " rank NULLS LAST, arrival LIMIT $3 OFFSET $4",
        cohort_code,
        status,
        limit,
        offset,
    )
    total = await conn.fetchval(
        f"SELECT count(*){_LISTED} AND ($2::text IS NULL OR status = $2)",
        cohort_code,
        status,
    )
    return [dict(r) for r in rows], int(total)
