"""SQL for the seats: the cohort lock and the enrollments that compete for its seats (what one
seat decision loads and stores is in `seats.py`)."""

from __future__ import annotations

from collections.abc import Iterable
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
    return (await lock_cohorts(conn, [cohort_code])).get(cohort_code)


async def lock_cohorts(conn: DbConnection, cohort_codes: Iterable[str]) -> dict[str, LockedCohort]:
    """Row-lock the cohorts that exist among these (in the order of their codes, so that two
    transactions locking several never wait for each other in a circle), by code."""
    rows = await conn.fetch(
        "SELECT code, program_code, seats, agreement_due_days, ends_on, seats_taken, waitlisted"
        " FROM cohorts WHERE code = ANY($1::text[]) ORDER BY code FOR UPDATE",
        sorted(set(cohort_codes)),
    )
    return {row["code"]: LockedCohort(**dict(row)) for row in rows}


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
#: The waitlist's order in SQL, as the index `enrollments_waitlist_head` has it: the domain's
#: `Enrollment.waitlist_key` (rank, unranked after every rank, then arrival).
UNRANKED = 2**32  # beyond any rank (an integer): the index's expression has this literal
WAITLIST_ORDER = f"coalesce(rank::bigint, {UNRANKED}), arrival"

#: The parts of a cohort's list in their order (seats, the waitlist, those that left), each in
#: the waitlist's order. A cancelled enrollment of an erased startup is not listed.
_PARTS = {
    "confirmed": "status = 'confirmed'",
    "waitlisted": "status = 'waitlisted'",
    "cancelled": "status = 'cancelled' AND business_registration_number IS NOT NULL",
}
_LISTED_COLUMNS = (
    "id::text AS enrollment_id, application_id, startup_name, business_registration_number,"
    " status, rank, arrival, agreement_due_at, agreement_signed_at, reason, created_at,"
    " updated_at"
)


async def enrollment_counts(conn: DbConnection, cohort_code: str) -> tuple[int, int]:
    """How many of the cohort's enrollments hold a seat, and how many wait: the counts the
    cohort row keeps (migration 0004), not a count of the cohort's enrollments."""
    row = await conn.fetchrow(
        "SELECT seats_taken, waitlisted FROM cohorts WHERE code = $1", cohort_code
    )
    return (int(row["seats_taken"]), int(row["waitlisted"])) if row else (0, 0)


async def cohort_enrollments(
    conn: DbConnection, cohort_code: str, status: str | None, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of the cohort's enrollments (of one status, if given) and how many there are:
    seats first, then the waitlist in its order, then the cancelled ones. Waitlist positions
    are counted over the whole waitlist (never stored), whatever the page.

    Each part is read by index from where the page starts in it (issue 16: numbering and
    sorting the whole cohort for each page took 36 ms at 10,000), and its size comes from the
    cohort's counters; only the cancelled ones are counted."""
    confirmed, waitlisted = await enrollment_counts(conn, cohort_code)
    cancelled = await conn.fetchval(
        f"SELECT count(*) FROM enrollments WHERE cohort_code = $1 AND {_PARTS['cancelled']}",  # noqa: S608
        cohort_code,
    )
    sizes = {"confirmed": confirmed, "waitlisted": waitlisted, "cancelled": int(cancelled)}
    listed = [part for part in _PARTS if status in (None, part)]
    rows: list[dict[str, Any]] = []
    start = offset  # where the page starts, counted from the first part listed
    for part in listed:
        wanted = limit - len(rows)
        if wanted > 0 and start < sizes[part]:
            found = await conn.fetch(
                f"SELECT {_LISTED_COLUMNS} FROM enrollments"  # noqa: S608 (constants only)
                f" WHERE cohort_code = $1 AND {_PARTS[part]}"
                f" ORDER BY {WAITLIST_ORDER} LIMIT $2 OFFSET $3",
                cohort_code,
                wanted,
                start,
            )
            rows += [
                {**r, "waitlist_position": start + n + 1 if part == "waitlisted" else None}
                for n, r in enumerate(found)
            ]
        start = max(start - sizes[part], 0)
    return rows, sum(sizes[part] for part in listed)
