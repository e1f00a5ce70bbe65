"""SQL of one seat decision: what it loads under the cohort's lock (a constant number of rows,
whatever the size of the cohort) and what it stores (one statement with its events)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aihub_programs.adapters.enrollments import UNRANKED, WAITLIST_ORDER, LockedCohort
from aihub_programs.domain.allocation import CohortSeats
from aihub_programs.domain.cohort_calendar import cohort_ends_at
from aihub_programs.domain.enrollments import Counted, Enrollment
from aihub_programs.domain.roster import waitlist_head_needed
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.runtime import outbox
from aihub_shared.runtime.db import DbConnection


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


_COLUMNS = (
    "application_id, status, rank, arrival, agreement_due_at, agreement_signed_at, reason,"
    " id, startup_name"
)


@dataclass(frozen=True)
class StoredRow:
    """What events about an enrollment name that the domain does not hold."""

    id: uuid.UUID
    startup_name: str


@dataclass(frozen=True)
class LoadedSeats:
    seats: CohortSeats
    #: Each loaded enrollment's row: the only enrollments an operation can change.
    rows: dict[str, StoredRow]


def _head_size(cohort: LockedCohort, now: datetime) -> tuple[datetime | None, bool, int]:
    ends_at = cohort_ends_at(cohort.ends_on)
    ended = ends_at is not None and now >= ends_at
    head = waitlist_head_needed(cohort.seats, cohort.seats_taken, cohort.waitlisted, ended=ended)
    return ends_at, ended, head


def _loaded(
    cohort: LockedCohort,
    ends_at: datetime | None,
    rows: list[Any],
    ahead_of_newcomer: int | None = None,
) -> LoadedSeats:
    loaded = {r["application_id"]: _enrollment(r) for r in rows}
    head_keys = [loaded[r["application_id"]].waitlist_key for r in rows if r["in_head"]]
    counted = Counted(
        confirmed=cohort.seats_taken,
        waitlisted=cohort.waitlisted,
        head_ends_at=max(head_keys, default=None),
        ahead_of_newcomer=ahead_of_newcomer,
    )
    seats = CohortSeats(
        cohort.seats,
        loaded.values(),
        agreement_due=timedelta(days=cohort.agreement_due_days),
        ends_at=ends_at,
        counted=counted,
    )
    stored = {r["application_id"]: StoredRow(r["id"], r["startup_name"]) for r in rows}
    return LoadedSeats(seats, stored)


async def load_seats(
    conn: DbConnection, cohort: LockedCohort, now: datetime, about: str | None = None
) -> LoadedSeats:
    """What one operation on the locked cohort needs, in a constant number of rows: the
    enrollment `about` (whatever its state), the head of the waitlist (as many as there are
    free seats, plus the one a freed seat goes to; all of it once the cohort has ended, when the
    waitlist closes) and the cohort's counts. `now` is the moment the operation will be applied
    at."""
    ends_at, _, head = _head_size(cohort, now)
    rows = await conn.fetch(
        f"(SELECT {_COLUMNS}, false AS in_head FROM enrollments"  # noqa: S608 - constants
        "  WHERE application_id = $2 AND cohort_code = $1)"
        f" UNION ALL (SELECT {_COLUMNS}, true FROM enrollments"
        "  WHERE cohort_code = $1 AND status = 'waitlisted'"
        f"  ORDER BY {WAITLIST_ORDER} LIMIT $3)",
        cohort.code,
        about,
        head,
    )
    return _loaded(cohort, ends_at, rows)


@dataclass(frozen=True)
class Acceptance:
    """What an acceptance needs, read in one round trip under the cohort's lock."""

    #: The cohort of the application's enrollment if it has one (a tombstone included).
    known_in: str | None
    #: The acceptance's arrival number: the tie-breaker between equal ranks.
    arrival: int
    #: The cohort's waitlist head and counts (for a full cohort, how many wait ahead of it).
    loaded: LoadedSeats


async def load_for_acceptance(
    conn: DbConnection, cohort: LockedCohort, now: datetime, application_id: str, rank: int | None
) -> Acceptance:
    """One statement: whether the application is known, its arrival number, the waitlist head
    and, when the cohort is full, how many wait ahead of the newcomer (all of them but those
    behind it, counted on the index: acceptances come best first, so few if any rank behind;
    every stored arrival is smaller than the newcomer's, taken under the same lock). An
    application already known is left alone, so its own row is not needed."""
    ends_at, ended, head = _head_size(cohort, now)
    full = cohort.seats_taken >= cohort.seats or ended
    rows = await conn.fetch(
        "WITH arrival AS MATERIALIZED"  # noqa: S608 - constants
        "  (SELECT nextval(pg_get_serial_sequence('enrollments', 'arrival')) AS n),"
        " facts AS (SELECT n AS newcomer_arrival,"
        "  (SELECT cohort_code FROM enrollments WHERE application_id = $2) AS known_in,"
        "  CASE WHEN $4 THEN (SELECT count(*) FROM enrollments"
        "   WHERE cohort_code = $1 AND status = 'waitlisted'"
        f"   AND ({WAITLIST_ORDER}) > ($5::bigint, n)) END AS behind FROM arrival)"
        " SELECT facts.*, head.* FROM facts LEFT JOIN LATERAL"
        f" (SELECT {_COLUMNS}, true AS in_head FROM enrollments"
        "  WHERE cohort_code = $1 AND status = 'waitlisted'"
        f"  ORDER BY {WAITLIST_ORDER} LIMIT $3) head ON true",
        cohort.code,
        application_id,
        head,
        full and cohort.waitlisted > 0,
        UNRANKED if rank is None else rank,
    )
    first = rows[0]  # the facts row is always there, with or without a head
    ahead = None if not full else cohort.waitlisted - (first["behind"] or 0)
    heads = [r for r in rows if r["application_id"] is not None]
    loaded = _loaded(cohort, ends_at, heads, ahead)
    return Acceptance(first["known_in"], first["newcomer_arrival"], loaded)


@dataclass(frozen=True)
class NewEnrollment:
    """What only the accepting (or withdrawing) event knows about a row it creates."""

    cohort_code: str
    program_code: str
    startup_name: str
    business_registration_number: str | None = None


def rows_to_store(
    changed: list[Enrollment], loaded: LoadedSeats, new: NewEnrollment | None
) -> dict[str, StoredRow]:
    """Each changed enrollment's row: the loaded one, or a new one (only the enrollment the
    event is about can be new)."""
    rows = {}
    for e in changed:
        row = loaded.rows.get(e.application_id)
        if row is None:
            if new is None:
                raise LookupError(f"no enrollment row for {e.application_id}")
            row = StoredRow(uuid.uuid4(), new.startup_name)
        rows[e.application_id] = row
    return rows


_UPDATE = (
    "UPDATE enrollments e SET status = u.status, agreement_due_at = u.due,"
    " agreement_signed_at = u.signed, reason = u.reason,"
    " held_seat = e.held_seat OR u.status = 'confirmed',"
    # The moment a seat holder leaves: its KPI reports for later quarters are refused.
    " seat_released_at = CASE WHEN u.status = 'cancelled' AND e.held_seat"
    "   THEN coalesce(e.seat_released_at, now()) END,"
    " updated_at = now()"
    " FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[])"
    "  AS u(application_id, status, due, signed, reason)"
    " WHERE e.application_id = u.application_id"
)
_INSERT = (
    "INSERT INTO enrollments (id, application_id, cohort_code, program_code,"
    " startup_name, business_registration_number, status, rank, arrival,"
    " agreement_due_at, agreement_signed_at, reason, held_seat)"
    " SELECT id, application_id, $6, $7, $8, $9, status, rank, arrival, due, signed, reason,"
    "  status = 'confirmed'"
    " FROM unnest($10::uuid[], $11::text[], $12::text[], $13::int[], $14::bigint[],"
    "  $15::timestamptz[], $16::timestamptz[], $17::text[])"
    "  AS n(id, application_id, status, rank, arrival, due, signed, reason)"
)


async def save_enrollments(
    conn: DbConnection,
    changed: list[Enrollment],
    rows: dict[str, StoredRow],
    loaded: LoadedSeats,
    new: NewEnrollment | None,
    events: list[CloudEvent],
) -> None:
    """Update the loaded enrollments that changed, insert the new one and queue the events: one
    statement, so one round trip (the seat counts follow by the trigger of migration 0004)."""
    updated = [e for e in changed if e.application_id in loaded.rows]
    inserted = [e for e in changed if e.application_id not in loaded.rows]
    new = new or NewEnrollment("", "", "")
    queue, queued_args = outbox.insert_events_sql(events, first_param=18)
    await conn.execute(
        f"WITH updated AS ({_UPDATE}), inserted AS ({_INSERT}), queued AS ({queue}) SELECT 1",
        [e.application_id for e in updated],
        [e.status for e in updated],
        [e.agreement_due_at for e in updated],
        [e.agreement_signed_at for e in updated],
        [e.reason for e in updated],
        new.cohort_code,
        new.program_code,
        new.startup_name,
        new.business_registration_number,
        [rows[e.application_id].id for e in inserted],
        [e.application_id for e in inserted],
        [e.status for e in inserted],
        [e.rank for e in inserted],
        [e.arrival for e in inserted],
        [e.agreement_due_at for e in inserted],
        [e.agreement_signed_at for e in inserted],
        [e.reason for e in inserted],
        *queued_args,
    )
