"""SQL of one seat decision: what it loads under the cohort's lock (a constant number of rows,
whatever the size of the cohort) and what it stores (one statement with its events)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aihub_programs.adapters.enrollments import WAITLIST_ORDER, LockedCohort
from aihub_programs.domain.allocation import CohortSeats
from aihub_programs.domain.cohort_calendar import cohort_ends_at
from aihub_programs.domain.enrollments import Counted, Enrollment
from aihub_programs.domain.roster import waitlist_head_needed
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.runtime import outbox
from aihub_shared.runtime.db import DbConnection


def enrollment_of(row: Any) -> Enrollment:
    return Enrollment(
        application_id=row["application_id"],
        status=row["status"],
        rank=row["rank"],
        arrival=row["arrival"],
        agreement_due_at=row["agreement_due_at"],
        agreement_signed_at=row["agreement_signed_at"],
        reason=row["reason"],
    )


ENROLLMENT_COLUMNS = (
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


def head_size(cohort: LockedCohort, now: datetime) -> tuple[datetime | None, bool, int]:
    ends_at = cohort_ends_at(cohort.ends_on)
    ended = ends_at is not None and now >= ends_at
    head = waitlist_head_needed(cohort.seats, cohort.seats_taken, cohort.waitlisted, ended=ended)
    return ends_at, ended, head


def _loaded(
    cohort: LockedCohort,
    ends_at: datetime | None,
    rows: list[Any],
) -> LoadedSeats:
    loaded = {r["application_id"]: enrollment_of(r) for r in rows}
    head_keys = [loaded[r["application_id"]].waitlist_key for r in rows if r["in_head"]]
    counted = Counted(
        confirmed=cohort.seats_taken,
        waitlisted=cohort.waitlisted,
        head_ends_at=max(head_keys, default=None),
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
    ends_at, _, head = head_size(cohort, now)
    rows = await conn.fetch(
        f"(SELECT {ENROLLMENT_COLUMNS}, false AS in_head FROM enrollments"  # noqa: S608 - constants
        "  WHERE application_id = $2 AND cohort_code = $1)"
        f" UNION ALL (SELECT {ENROLLMENT_COLUMNS}, true FROM enrollments"
        "  WHERE cohort_code = $1 AND status = 'waitlisted'"
        f"  ORDER BY {WAITLIST_ORDER} LIMIT $3)",
        cohort.code,
        about,
        head,
    )
    return _loaded(cohort, ends_at, rows)


@dataclass(frozen=True)
class NewEnrollment:
    """What only the accepting (or withdrawing) event knows about a row it creates."""

    cohort_code: str
    program_code: str
    startup_name: str
    business_registration_number: str | None = None


@dataclass(frozen=True)
class NewRow:
    """An enrollment stored for the first time, with its row and what its event knew."""

    enrollment: Enrollment
    row: StoredRow
    new: NewEnrollment


def split_changes(
    changed: list[Enrollment], loaded: LoadedSeats, new: NewEnrollment | None
) -> tuple[dict[str, StoredRow], list[Enrollment], list[NewRow]]:
    """Each changed enrollment's row (the loaded one, or a new one: only the enrollment the
    event is about can be new), the loaded ones to update and the new ones to insert."""
    rows, updated, inserted = {}, [], []
    for e in changed:
        row = loaded.rows.get(e.application_id)
        if row is not None:
            updated.append(e)
        elif new is None:
            raise LookupError(f"no enrollment row for {e.application_id}")
        else:
            row = StoredRow(uuid.uuid4(), new.startup_name)
            inserted.append(NewRow(e, row, new))
        rows[e.application_id] = row
    return rows, updated, inserted


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
    " SELECT id, application_id, cohort_code, program_code, startup_name, brn, status, rank,"
    "  arrival, due, signed, reason, status = 'confirmed'"
    " FROM unnest($6::uuid[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],"
    "  $12::text[], $13::int[], $14::bigint[], $15::timestamptz[], $16::timestamptz[],"
    "  $17::text[])"
    "  AS n(id, application_id, cohort_code, program_code, startup_name, brn, status, rank,"
    "  arrival, due, signed, reason)"
)


async def save_enrollments(
    conn: DbConnection,
    updated: list[Enrollment],
    inserted: list[NewRow],
    events: list[CloudEvent],
) -> None:
    """Update the loaded enrollments that changed, insert the new ones and queue the events: one
    statement, so one round trip however many they are (the seat counts follow by the trigger
    of migration 0004)."""
    queue, queued_args = outbox.insert_events_sql(events, first_param=18)
    new = [n.enrollment for n in inserted]
    await conn.execute(
        f"WITH updated AS ({_UPDATE}), inserted AS ({_INSERT}), queued AS ({queue}) SELECT 1",
        [e.application_id for e in updated],
        [e.status for e in updated],
        [e.agreement_due_at for e in updated],
        [e.agreement_signed_at for e in updated],
        [e.reason for e in updated],
        [n.row.id for n in inserted],
        [e.application_id for e in new],
        [n.new.cohort_code for n in inserted],
        [n.new.program_code for n in inserted],
        [n.row.startup_name for n in inserted],
        [n.new.business_registration_number for n in inserted],
        [e.status for e in new],
        [e.rank for e in new],
        [e.arrival for e in new],
        [e.agreement_due_at for e in new],
        [e.agreement_signed_at for e in new],
        [e.reason for e in new],
        *queued_args,
    )
