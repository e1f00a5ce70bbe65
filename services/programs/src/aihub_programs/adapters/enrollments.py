"""SQL for the seats: the cohort lock and the enrollments that compete for its seats."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from aihub_programs.domain.allocation import (
    CohortSeats,
    Counted,
    Enrollment,
    cohort_ends_at,
    waitlist_head_needed,
)
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


def _enrollment(row: Any) -> Enrollment:
    return Enrollment(
        application_id=row["application_id"],
        status=row["status"],
        rank=row["rank"],
        arrival=row["arrival"],
        agreement_due_at=row["agreement_due_at"],
        agreement_signed_at=row["agreement_signed_at"],
        reason=row["reason"],
    )


#: The waitlist's order in SQL, as the index `enrollments_waitlist_head` has it: the domain's
#: `Enrollment.waitlist_key` (rank, unranked after every rank, then arrival).
_UNRANKED = 2**32  # beyond any rank (an integer): the index's expression has this literal
_WAITLIST_ORDER = f"coalesce(rank::bigint, {_UNRANKED}), arrival"
_COLUMNS = "application_id, status, rank, arrival, agreement_due_at, agreement_signed_at, reason"


@dataclass(frozen=True)
class Newcomer:
    """An acceptance about to be decided: where it would stand in the waitlist."""

    rank: int | None
    arrival: int


async def load_seats(
    conn: DbConnection,
    cohort: LockedCohort,
    now: datetime,
    about: str | None = None,
    newcomer: Newcomer | None = None,
) -> CohortSeats:
    """What one operation on the locked cohort needs, in a constant number of rows: the
    enrollment `about` (whatever its state), the head of the waitlist (as many as there are
    free seats, plus the one a freed seat goes to; all of it once the cohort has ended, when the
    waitlist closes) and the cohort's counts; for an acceptance into a full cohort, how many
    wait ahead of it. `now` is the moment the operation will be applied at."""
    ends_at = cohort_ends_at(cohort.ends_on)
    ended = ends_at is not None and now >= ends_at
    head = waitlist_head_needed(cohort.seats, cohort.seats_taken, cohort.waitlisted, ended=ended)
    rows = await conn.fetch(
        f"(SELECT {_COLUMNS}, false AS in_head FROM enrollments"  # noqa: S608 - constants
        "  WHERE application_id = $2 AND cohort_code = $1)"
        f" UNION ALL (SELECT {_COLUMNS}, true FROM enrollments"
        "  WHERE cohort_code = $1 AND status = 'waitlisted'"
        f"  ORDER BY {_WAITLIST_ORDER} LIMIT $3)",
        cohort.code,
        about,
        head,
    )
    loaded = {r["application_id"]: _enrollment(r) for r in rows}
    head_keys = [loaded[r["application_id"]].waitlist_key for r in rows if r["in_head"]]
    full = cohort.seats_taken >= cohort.seats or ended
    counted = Counted(
        confirmed=cohort.seats_taken,
        waitlisted=cohort.waitlisted,
        head_ends_at=max(head_keys, default=None),
        ahead_of_newcomer=await _ahead_of(conn, cohort, newcomer) if newcomer and full else None,
    )
    return CohortSeats(
        cohort.seats,
        loaded.values(),
        agreement_due=timedelta(days=cohort.agreement_due_days),
        ends_at=ends_at,
        counted=counted,
    )


async def _ahead_of(conn: DbConnection, cohort: LockedCohort, newcomer: Newcomer) -> int:
    """How many wait ahead of the newcomer: all of them but those behind it, counted on the
    index (acceptances come best first, so few, if any, rank behind a newcomer)."""
    if not cohort.waitlisted:
        return 0
    behind: int = await conn.fetchval(
        "SELECT count(*) FROM enrollments"  # noqa: S608 - a constant
        " WHERE cohort_code = $1 AND status = 'waitlisted'"
        f" AND ({_WAITLIST_ORDER}) > ($2::bigint, $3::bigint)",
        cohort.code,
        _UNRANKED if newcomer.rank is None else newcomer.rank,
        newcomer.arrival,
    )
    return cohort.waitlisted - behind


async def known_cohort_and_arrival(
    conn: DbConnection, application_id: str
) -> tuple[str | None, int]:
    """The cohort of the application's enrollment if it has one (a tombstone included), and
    the next arrival number: one round trip for an acceptance."""
    row = await conn.fetchrow(
        "SELECT (SELECT cohort_code FROM enrollments WHERE application_id = $1) AS cohort_code,"
        " nextval(pg_get_serial_sequence('enrollments', 'arrival')) AS arrival",
        application_id,
    )
    assert row is not None
    return row["cohort_code"], row["arrival"]


async def next_arrival(conn: DbConnection) -> int:
    value: int = await conn.fetchval(
        "SELECT nextval(pg_get_serial_sequence('enrollments', 'arrival'))"
    )
    return value


@dataclass(frozen=True)
class NewEnrollment:
    """What only the accepting (or withdrawing) event knows about a row it creates."""

    cohort_code: str
    program_code: str
    startup_name: str
    business_registration_number: str | None = None


async def save_enrollments(
    conn: DbConnection, changed: list[Enrollment], new: NewEnrollment | None
) -> dict[str, dict[str, Any]]:
    """Insert or update each changed enrollment; returns each row by application id."""
    saved: dict[str, dict[str, Any]] = {}
    for e in changed:
        row = await _update_enrollment(conn, e)
        if row is None:
            if new is None:
                raise LookupError(f"no enrollment row for {e.application_id}")
            row = await _insert_enrollment(conn, e, new)
        saved[e.application_id] = row
    return saved


async def _update_enrollment(conn: DbConnection, e: Enrollment) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "UPDATE enrollments SET status = $2, agreement_due_at = $3, agreement_signed_at = $4,"
        " reason = $5, held_seat = held_seat OR $2 = 'confirmed',"
        # The moment a seat holder leaves: its KPI reports for later quarters are refused.
        " seat_released_at = CASE WHEN $2 = 'cancelled' AND held_seat"
        "   THEN coalesce(seat_released_at, now()) END,"
        " updated_at = now()"
        " WHERE application_id = $1 RETURNING *",
        e.application_id,
        e.status,
        e.agreement_due_at,
        e.agreement_signed_at,
        e.reason,
    )
    return dict(row) if row else None


async def _insert_enrollment(
    conn: DbConnection, e: Enrollment, new: NewEnrollment
) -> dict[str, Any]:
    row = await conn.fetchrow(
        "INSERT INTO enrollments (id, application_id, cohort_code, program_code,"
        " startup_name, business_registration_number, status, rank, arrival,"
        " agreement_due_at, agreement_signed_at, reason, held_seat)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $7 = 'confirmed')"
        " RETURNING *",
        uuid.uuid4(),
        e.application_id,
        new.cohort_code,
        new.program_code,
        new.startup_name,
        new.business_registration_number,
        e.status,
        e.rank,
        e.arrival,
        e.agreement_due_at,
        e.agreement_signed_at,
        e.reason,
    )
    assert row is not None
    return dict(row)


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
