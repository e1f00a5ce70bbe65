"""Seats in practice: each event or staff action locks its cohort, applies one allocation
operation, stores what changed and queues one event per step in the same transaction.

The cohort row lock serializes every decision about a cohort's seats, whichever instance of
the service (or which worker, or which HTTP request) makes it; the inbox makes redeliveries
no-ops, and the allocation rules make out-of-order events harmless.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog

from aihub_programs.adapters import repository
from aihub_programs.adapters.repository import LockedCohort, NewEnrollment
from aihub_programs.domain.allocation import (
    APPLICATION_ID_PATTERN,
    WITHDRAWN,
    CohortSeats,
    EnrollmentConflict,
    Outcome,
)
from aihub_programs.service_layer.publishing import new_event
from aihub_shared.contracts.applications import ApplicationDecided, ApplicationWithdrawn
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import CohortFilled, EnrollmentChanged
from aihub_shared.runtime import outbox
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.errors import RejectedEvent

log = structlog.get_logger(__name__)


class EnrollmentNotFound(Exception):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


def _check_application_id(application_id: str) -> None:
    if not re.fullmatch(APPLICATION_ID_PATTERN, application_id):
        raise RejectedEvent(f"application_id {application_id[:80]!r} is not an application id")


async def enroll_accepted_application(
    conn: DbConnection, event: CloudEvent, accepted: ApplicationDecided
) -> None:
    _check_application_id(accepted.application_id)
    cohort = await repository.lock_cohort(conn, accepted.cohort_code)
    if cohort is None:
        raise RejectedEvent(f"cohort {accepted.cohort_code!r} is not in the catalog")
    if cohort.program_code != accepted.program_code:
        raise RejectedEvent(
            f"cohort {accepted.cohort_code!r} belongs to program {cohort.program_code!r},"
            f" not {accepted.program_code!r}"
        )
    # Read under the lock: a concurrent handler of the same application has committed by now.
    if await repository.enrollment_row(conn, accepted.application_id) is not None:
        # A re-decision, or a withdrawal seen first (its tombstone): never a second seat.
        log.info("acceptance of a known application ignored", application=accepted.application_id)
        return
    seats = await repository.load_seats(conn, cohort, accepted.application_id)
    arrival = await repository.next_arrival(conn)
    outcome = seats.accept(accepted.application_id, rank=accepted.rank, arrival=arrival, now=_now())
    new = NewEnrollment(
        cohort.code,
        cohort.program_code,
        accepted.startup_name,
        accepted.business_registration_number,
    )
    await _store_and_publish(conn, cohort, seats, outcome, new, caused_by=event)


async def release_withdrawn_application(
    conn: DbConnection, event: CloudEvent, withdrawn: ApplicationWithdrawn
) -> None:
    _check_application_id(withdrawn.application_id)
    known = await repository.enrollment_row(conn, withdrawn.application_id)
    cohort_code = known["cohort_code"] if known else withdrawn.cohort_code
    cohort = await repository.lock_cohort(conn, cohort_code)
    if cohort is None:
        # No cohort, so no seat and no acceptance that could ever be taken: nothing to remember.
        log.info("withdrawal for a cohort not in the catalog", cohort=withdrawn.cohort_code)
        return
    seats = await repository.load_seats(conn, cohort, withdrawn.application_id)
    arrival = await repository.next_arrival(conn)
    reason = f"{WITHDRAWN}: {withdrawn.reason}" if withdrawn.reason else WITHDRAWN
    outcome = seats.withdraw(withdrawn.application_id, arrival=arrival, now=_now(), reason=reason)
    new = NewEnrollment(cohort.code, cohort.program_code, withdrawn.startup_name)
    await _store_and_publish(conn, cohort, seats, outcome, new, caused_by=event)


# -- staff actions and the deadline worker: their own transactions ----------------------------


async def cancel_enrollment(
    pool: asyncpg.Pool,
    application_id: str,
    *,
    reason: str,
    may_manage: Callable[[str], bool],
    correlation_id: str | None = None,
) -> dict[str, Any]:
    return await _staff_action(
        pool,
        application_id,
        lambda seats: seats.cancel(application_id, reason=reason, now=_now()),
        may_manage,
        correlation_id,
    )


async def sign_agreement(
    pool: asyncpg.Pool,
    application_id: str,
    *,
    may_manage: Callable[[str], bool],
    correlation_id: str | None = None,
) -> dict[str, Any]:
    return await _staff_action(
        pool,
        application_id,
        lambda seats: seats.sign_agreement(application_id, now=_now()),
        may_manage,
        correlation_id,
    )


class NotYourProgram(Exception):
    pass


async def _staff_action(
    pool: asyncpg.Pool,
    application_id: str,
    operation: Callable[[CohortSeats], Outcome],
    may_manage: Callable[[str], bool],
    correlation_id: str | None,
) -> dict[str, Any]:
    async with pool.acquire() as conn, conn.transaction():
        found = await repository.enrollment_row(conn, application_id)
        # A tombstone (a withdrawal of an application never accepted) is nobody's enrollment:
        # not listed, so not found either.
        if found is None or found["business_registration_number"] is None:
            raise EnrollmentNotFound(f"no enrollment for application {application_id!r}")
        if not may_manage(found["program_code"]):
            raise NotYourProgram(found["program_code"])
        cohort = await repository.lock_cohort(conn, found["cohort_code"])
        assert cohort is not None  # enrollments reference their cohort
        seats = await repository.load_seats(conn, cohort, application_id)
        outcome = operation(seats)  # EnrollmentConflict propagates: nothing was written
        await _store_and_publish(conn, cohort, seats, outcome, None, correlation_id=correlation_id)
        row = await repository.enrollment_row(conn, application_id)
        assert row is not None
        return row


async def resize_and_promote(conn: DbConnection, cohort_code: str) -> None:
    """After the catalog changed a cohort's seats: promote into added seats (call inside the
    catalog change's transaction, so the new seats and the promotions commit together)."""
    cohort = await repository.lock_cohort(conn, cohort_code)
    assert cohort is not None
    seats = await repository.load_seats(conn, cohort)
    outcome = seats.rebalance(now=_now())
    await _store_and_publish(conn, cohort, seats, outcome, None)


async def expire_due_agreements(pool: asyncpg.Pool, *, limit: int = 100) -> int:
    """Cancel the seats whose agreement deadline passed unsigned, promoting the waitlist; each
    in its own short transaction. Several instances may run this at once: the cohort lock and
    the re-check inside it make each expiry happen once. Returns how many expired."""
    async with pool.acquire() as conn:
        due = await repository.due_agreements(conn, _now(), limit)
    expired = 0
    for cohort_code, application_id in due:
        async with pool.acquire() as conn, conn.transaction():
            cohort = await repository.lock_cohort(conn, cohort_code)
            assert cohort is not None
            seats = await repository.load_seats(conn, cohort, application_id)
            outcome = seats.expire(application_id, now=_now())
            await _store_and_publish(conn, cohort, seats, outcome, None)
            expired += bool(outcome.changes)
    return expired


async def close_ended_cohorts(pool: asyncpg.Pool) -> int:
    """Cancel the startups still waiting in cohorts that have ended ("the cohort has ended"),
    one cohort per transaction; the cohort lock and the re-check inside it make it happen once
    with several instances. Returns how many were cancelled."""
    async with pool.acquire() as conn:
        ended = await repository.ended_cohorts_with_waitlist(conn, _now())
    closed = 0
    for cohort_code in ended:
        async with pool.acquire() as conn, conn.transaction():
            cohort = await repository.lock_cohort(conn, cohort_code)
            assert cohort is not None
            seats = await repository.load_seats(conn, cohort)
            outcome = seats.rebalance(now=_now())
            await _store_and_publish(conn, cohort, seats, outcome, None)
            closed += len(outcome.changes)
    return closed


# -- storing and announcing --------------------------------------------------------------------


async def _store_and_publish(
    conn: DbConnection,
    cohort: LockedCohort,
    seats: CohortSeats,
    outcome: Outcome,
    new: NewEnrollment | None,
    *,
    caused_by: CloudEvent | None = None,
    correlation_id: str | None = None,
) -> None:
    if not outcome.changed:
        return
    rows = await repository.save_enrollments(conn, outcome.changed, new)
    events = []
    for change in outcome.changes:
        row = rows[change.enrollment.application_id]
        data = EnrollmentChanged(
            enrollment_id=str(row["id"]),
            application_id=row["application_id"],
            program_code=cohort.program_code,
            cohort_code=cohort.code,
            startup_name=row["startup_name"],
            status=change.enrollment.status,
            waitlist_position=change.waitlist_position,
            rank=change.enrollment.rank,
            seats=change.seats,
            seats_taken=change.seats_taken,
            agreement_due_at=change.enrollment.agreement_due_at,
            agreement_signed_at=change.enrollment.agreement_signed_at,
            reason=change.enrollment.reason if change.kind == "cancelled" else None,
        )
        events.append(_event(f"enrollment.{change.kind}", cohort, data, caused_by, correlation_id))
    if outcome.filled:
        filled = CohortFilled(
            program_code=cohort.program_code,
            cohort_code=cohort.code,
            seats=seats.seats,
            seats_taken=len(seats.confirmed),
            waitlisted=len(seats.waitlist),
        )
        events.append(_event("cohort.filled", cohort, filled, caused_by, correlation_id))
    await outbox.add_events(conn, events)


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


__all__ = [
    "EnrollmentConflict",
    "EnrollmentNotFound",
    "NotYourProgram",
    "cancel_enrollment",
    "close_ended_cohorts",
    "enroll_accepted_application",
    "expire_due_agreements",
    "release_withdrawn_application",
    "resize_and_promote",
    "sign_agreement",
]
