"""Seats in practice: each event or staff action locks its cohort, applies one allocation
operation, stores what changed and queues one event per step in the same transaction (a run of
acceptances: its cohorts locked once, one operation per acceptance, all stored at once).

The cohort row lock serializes every decision about a cohort's seats, whichever instance of
the service (or which worker, or which HTTP request) makes it; the inbox makes redeliveries
no-ops, and the allocation rules make out-of-order events harmless.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import structlog

from aihub_programs.adapters import acceptance_runs as runs_db
from aihub_programs.adapters import enrollments as enrollments_db
from aihub_programs.adapters import seats as seats_db
from aihub_programs.adapters.enrollments import LockedCohort
from aihub_programs.adapters.seats import NewEnrollment, NewRow, StoredRow
from aihub_programs.domain.acceptance_run import Newcomer
from aihub_programs.domain.cancellation_reasons import CANCELLED_BY, WITHDRAWN
from aihub_programs.domain.enrollments import (
    APPLICATION_ID_PATTERN,
    Enrollment,
    EnrollmentConflict,
)
from aihub_programs.service_layer.access import NotYourProgram, require_manager
from aihub_programs.service_layer.seats import (
    Operation,
    in_locked_cohort,
    now,
    outcome_events,
    store_and_publish,
)
from aihub_shared.contracts.applications import ApplicationDecided, ApplicationWithdrawn
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.identity import StaffPrincipal
from aihub_shared.refusals import NotFound
from aihub_shared.runtime import batch
from aihub_shared.runtime.batch import Consumed
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.errors import RejectedEvent

log = structlog.get_logger(__name__)


class EnrollmentNotFound(NotFound):
    """No enrollment for the application (a tombstone included): 404 over HTTP."""


def _check_application_id(application_id: str) -> None:
    if not re.fullmatch(APPLICATION_ID_PATTERN, application_id):
        raise RejectedEvent(f"application_id {application_id[:80]!r} is not an application id")


async def enroll_accepted_applications(conn: DbConnection, run: Sequence[Consumed]) -> None:
    """A run of `application.accepted` events (a bulk decision's, of one cohort in rank order, or
    any mix), with the effect of handling them one by one in their order: the run's cohorts
    locked once, what it needs loaded once, one seat decision per acceptance in memory
    (`domain/acceptance_run.py`), then all enrollments and events stored in one statement.
    An event the one-by-one way would refuse fails the run: its records then go one by one."""
    accepted: list[tuple[CloudEvent, ApplicationDecided]] = [(c.event, c.data) for c in run]
    for _, decided in accepted:
        _check_application_id(decided.application_id)
    cohorts = await enrollments_db.lock_cohorts(conn, {d.cohort_code for _, d in accepted})
    for _, decided in accepted:
        _check_cohort(cohorts.get(decided.cohort_code), decided)
    moment = now()
    # Read under the locks: a concurrent handler of the same application has committed by now.
    loaded = await runs_db.load_run(
        conn,
        cohorts,
        moment,
        [runs_db.Acceptance(d.application_id, d.cohort_code, d.rank) for _, d in accepted],
    )
    updated, inserted, events = _decide_run(accepted, cohorts, loaded, moment)
    if updated or inserted:
        await seats_db.save_enrollments(conn, updated, inserted, events)


def _decide_run(
    accepted: list[tuple[CloudEvent, ApplicationDecided]],
    cohorts: dict[str, LockedCohort],
    loaded: runs_db.LoadedRun,
    moment: datetime,
) -> tuple[list[Enrollment], list[NewRow], list[CloudEvent]]:
    """Each acceptance in order, in memory: the stored enrollments that changed, the new ones
    (each in its final state) and the events of every step."""
    rows = dict(loaded.rows)
    final: dict[str, Enrollment] = {}
    new: dict[str, NewEnrollment] = {}
    events: list[CloudEvent] = []
    for (event, decided), facts in zip(accepted, loaded.facts, strict=True):
        app = decided.application_id
        if facts.known_in is not None or app in rows:
            # A re-decision, or a withdrawal seen first (its tombstone): never a second seat.
            log.info("acceptance of a known application ignored", application=app)
            continue
        rows[app] = StoredRow(uuid.uuid4(), decided.startup_name)
        new[app] = NewEnrollment(
            decided.cohort_code,
            decided.program_code,
            decided.startup_name,
            decided.business_registration_number,
        )
        seats = loaded.cohorts[decided.cohort_code]
        outcome = seats.accept(
            Newcomer(app, decided.rank, facts.arrival, facts.stored_ahead), moment
        )
        events += outcome_events(
            cohorts[decided.cohort_code], rows, outcome, seats, caused_by=event
        )
        final.update((e.application_id, e) for e in outcome.changed)
    updated = [e for app, e in final.items() if app in loaded.rows]
    inserted = [NewRow(final[app], rows[app], enrollment) for app, enrollment in new.items()]
    return updated, inserted, events


#: One acceptance, as the consumer's slow path runs it (a run of one, `batch.one_by_one`).
enroll_accepted_application = batch.one_by_one(enroll_accepted_applications)


def _check_cohort(cohort: LockedCohort | None, accepted: ApplicationDecided) -> None:
    if cohort is None:
        raise RejectedEvent(f"cohort {accepted.cohort_code!r} is not in the catalog")
    if cohort.program_code != accepted.program_code:
        raise RejectedEvent(
            f"cohort {accepted.cohort_code!r} belongs to program {cohort.program_code!r},"
            f" not {accepted.program_code!r}"
        )


async def release_withdrawn_application(
    conn: DbConnection, event: CloudEvent, withdrawn: ApplicationWithdrawn
) -> None:
    _check_application_id(withdrawn.application_id)
    known = await enrollments_db.enrollment_row(conn, withdrawn.application_id)
    cohort_code = known["cohort_code"] if known else withdrawn.cohort_code
    cohort = await enrollments_db.lock_cohort(conn, cohort_code)
    if cohort is None:
        # No cohort, so no seat and no acceptance that could ever be taken: nothing to remember.
        log.info("withdrawal for a cohort not in the catalog", cohort=withdrawn.cohort_code)
        return
    moment = now()
    loaded = await seats_db.load_seats(conn, cohort, moment, withdrawn.application_id)
    arrival = await enrollments_db.next_arrival(conn)
    reason = f"{WITHDRAWN}: {withdrawn.reason}" if withdrawn.reason else WITHDRAWN
    outcome = loaded.seats.withdraw(
        withdrawn.application_id, arrival=arrival, now=moment, reason=reason
    )
    new = NewEnrollment(cohort.code, cohort.program_code, withdrawn.startup_name)
    await store_and_publish(conn, cohort, loaded, outcome, new, caused_by=event)


# -- staff actions and the deadline worker: their own transactions ----------------------------


async def cancel_enrollment(
    pool: asyncpg.Pool,
    application_id: str,
    *,
    reason: str,
    staff: StaffPrincipal,
    correlation_id: str | None = None,
) -> dict[str, Any]:
    """Staff end an enrollment (seat or waitlist place), recorded as "cancelled by <who>: <why>";
    a freed seat goes to the best-ranked waiting startup. Returns the enrollment as stored."""
    recorded = f"{CANCELLED_BY}{staff.id}: {reason}"
    return await _staff_action(
        pool,
        application_id,
        lambda seats, moment: seats.cancel(application_id, reason=recorded, now=moment),
        staff,
        correlation_id,
    )


async def give_up_agreement(
    pool: asyncpg.Pool,
    application_id: str,
    *,
    reason: str,
    staff: StaffPrincipal,
    correlation_id: str | None = None,
) -> dict[str, Any]:
    """Staff record that the startup gave up its agreement (협약 포기), with the startup's reason:
    its seat goes to the next reserve rank. The reason is kept as "agreement given up: <why>",
    without who recorded it (unlike a cancellation): it reaches the applicant's mail."""
    return await _staff_action(
        pool,
        application_id,
        lambda seats, moment: seats.give_up_agreement(application_id, reason=reason, now=moment),
        staff,
        correlation_id,
    )


async def sign_agreement(
    pool: asyncpg.Pool,
    application_id: str,
    *,
    staff: StaffPrincipal,
    correlation_id: str | None = None,
) -> dict[str, Any]:
    """The startup signed its agreement: its seat is no longer at risk of the deadline."""
    return await _staff_action(
        pool,
        application_id,
        lambda seats, moment: seats.sign_agreement(application_id, now=moment),
        staff,
        correlation_id,
    )


async def _staff_action(
    pool: asyncpg.Pool,
    application_id: str,
    operation: Operation,
    staff: StaffPrincipal,
    correlation_id: str | None,
) -> dict[str, Any]:
    async with pool.acquire() as conn, conn.transaction():
        found = await enrollments_db.enrollment_row(conn, application_id)
        # A tombstone (a withdrawal of an application never accepted) is nobody's enrollment:
        # not listed, so not found either.
        if found is None or found["business_registration_number"] is None:
            raise EnrollmentNotFound(f"no enrollment for application {application_id!r}")
        require_manager(staff, found["program_code"], named=str)
        # EnrollmentConflict propagates: nothing was written.
        await in_locked_cohort(
            conn,
            found["cohort_code"],
            operation,
            about=application_id,
            correlation_id=correlation_id,
        )
        row = await enrollments_db.enrollment_row(conn, application_id)
        assert row is not None
        return row


async def resize_and_promote(conn: DbConnection, cohort_code: str) -> None:
    """After the catalog changed a cohort's seats: promote into added seats (call inside the
    catalog change's transaction, so the new seats and the promotions commit together)."""
    await in_locked_cohort(conn, cohort_code, lambda seats, moment: seats.rebalance(now=moment))


__all__ = [
    "EnrollmentConflict",
    "EnrollmentNotFound",
    "NotYourProgram",
    "cancel_enrollment",
    "enroll_accepted_application",
    "enroll_accepted_applications",
    "give_up_agreement",
    "release_withdrawn_application",
    "resize_and_promote",
    "sign_agreement",
]
