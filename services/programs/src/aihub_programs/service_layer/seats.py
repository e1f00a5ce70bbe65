"""Storing and announcing what an allocation operation changed: the enrollments' rows and one
event per step (plus `cohort.filled`), in the caller's transaction, under the cohort's lock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Protocol

from aihub_programs.adapters import enrollments as enrollments_db
from aihub_programs.adapters import seats as seats_db
from aihub_programs.adapters.enrollments import LockedCohort
from aihub_programs.adapters.seats import LoadedSeats, NewEnrollment, StoredRow
from aihub_programs.domain.allocation import CohortSeats
from aihub_programs.domain.cancellation_reasons import cancellation_cause
from aihub_programs.domain.enrollments import Outcome
from aihub_programs.service_layer.events import new_event
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import CohortFilled, EnrollmentChanged
from aihub_shared.runtime.db import DbConnection

#: One allocation operation, applied at the given moment.
Operation = Callable[[CohortSeats, datetime], Outcome]


def now() -> datetime:
    return datetime.now(UTC)


async def in_locked_cohort(
    conn: DbConnection,
    cohort_code: str,
    operation: Operation,
    *,
    about: str | None = None,
    correlation_id: str | None = None,
) -> Outcome:
    """Lock an existing cohort, apply one allocation operation to its seats (with the enrollment
    `about`, whatever its state), store what changed and queue its events."""
    cohort = await enrollments_db.lock_cohort(conn, cohort_code)
    assert cohort is not None  # enrollments reference their cohort; catalog changes made it
    moment = now()
    loaded = await seats_db.load_seats(conn, cohort, moment, about)
    outcome = operation(loaded.seats, moment)
    await store_and_publish(conn, cohort, loaded, outcome, None, correlation_id=correlation_id)
    return outcome


class SeatCounts(Protocol):
    """The cohort's seats and counts right after an operation (`cohort.filled` carries them)."""

    seats: int

    @property
    def confirmed_count(self) -> int: ...

    @property
    def waitlisted_count(self) -> int: ...


async def store_and_publish(
    conn: DbConnection,
    cohort: LockedCohort,
    loaded: LoadedSeats,
    outcome: Outcome,
    new: NewEnrollment | None,
    *,
    caused_by: CloudEvent | None = None,
    correlation_id: str | None = None,
) -> None:
    changed = outcome.changed
    if not changed:
        return
    rows, updated, inserted = seats_db.split_changes(changed, loaded, new)
    events = outcome_events(
        cohort, rows, outcome, loaded.seats, caused_by=caused_by, correlation_id=correlation_id
    )
    await seats_db.save_enrollments(conn, updated, inserted, events)


def outcome_events(
    cohort: LockedCohort,
    rows: Mapping[str, StoredRow],
    outcome: Outcome,
    counts: SeatCounts,
    *,
    caused_by: CloudEvent | None = None,
    correlation_id: str | None = None,
) -> list[CloudEvent]:
    """One event per step of the outcome, then `cohort.filled` if it took the last free seat."""
    events = []
    for change in outcome.changes:
        row = rows[change.enrollment.application_id]
        data = EnrollmentChanged(
            enrollment_id=str(row.id),
            application_id=change.enrollment.application_id,
            program_code=cohort.program_code,
            cohort_code=cohort.code,
            startup_name=row.startup_name,
            status=change.enrollment.status,
            waitlist_position=change.waitlist_position,
            rank=change.enrollment.rank,
            seats=change.seats,
            seats_taken=change.seats_taken,
            agreement_due_at=change.enrollment.agreement_due_at,
            agreement_signed_at=change.enrollment.agreement_signed_at,
            reason=change.enrollment.reason if change.kind == "cancelled" else None,
            cause=cancellation_cause(change.enrollment.reason)
            if change.kind == "cancelled"
            else None,
        )
        events.append(_event(f"enrollment.{change.kind}", cohort, data, caused_by, correlation_id))
    if outcome.filled:
        filled = CohortFilled(
            program_code=cohort.program_code,
            cohort_code=cohort.code,
            seats=counts.seats,
            seats_taken=counts.confirmed_count,
            waitlisted=counts.waitlisted_count,
        )
        events.append(_event("cohort.filled", cohort, filled, caused_by, correlation_id))
    return events


def _event(
    name: str,
    cohort: LockedCohort,
    data: EnrollmentChanged | CohortFilled,
    caused_by: CloudEvent | None,
    correlation_id: str | None,
) -> CloudEvent:
    # Keyed by cohort: one partition holds a cohort's whole seat history, in order, so a reader
    # can replay it step by step (and an application's own events stay in order too).
    return new_event(
        name, subject=cohort.code, data=data, caused_by=caused_by, correlation_id=correlation_id
    )
