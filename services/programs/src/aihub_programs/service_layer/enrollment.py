"""Turning an accepted application into a seat or a waitlist place."""

from __future__ import annotations

from aihub_programs.adapters import repository
from aihub_programs.domain.allocation import enroll_or_waitlist
from aihub_programs.service_layer.catalog import SOURCE
from aihub_shared.contracts.applications import ApplicationDecided
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import EnrollmentChanged
from aihub_shared.contracts.registry import contract
from aihub_shared.runtime import outbox
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.errors import RejectedEvent


async def enroll_accepted_application(
    conn: DbConnection, event: CloudEvent, accepted: ApplicationDecided
) -> None:
    cohort = await repository.lock_cohort(conn, accepted.cohort_code)
    if cohort is None:
        raise RejectedEvent(f"cohort {accepted.cohort_code!r} is not in the catalog")
    if cohort["program_code"] != accepted.program_code:
        raise RejectedEvent(
            f"cohort {accepted.cohort_code!r} belongs to program {cohort['program_code']!r},"
            f" not {accepted.program_code!r}"
        )
    # The inbox stops a redelivered event; this stops a second acceptance event for the same
    # application (a re-decision) from taking a second seat.
    if await repository.enrollment_for(conn, accepted.application_id) is not None:
        return
    state = await repository.seat_state(conn, accepted.cohort_code, cohort["seats"])
    allocation = enroll_or_waitlist(state)
    enrollment_id = await repository.insert_enrollment(
        conn,
        application_id=accepted.application_id,
        cohort_code=accepted.cohort_code,
        startup_name=accepted.startup_name,
        status=allocation.status,
        waitlist_position=allocation.waitlist_position,
    )
    changed = EnrollmentChanged(
        enrollment_id=str(enrollment_id),
        application_id=accepted.application_id,
        program_code=accepted.program_code,
        cohort_code=accepted.cohort_code,
        startup_name=accepted.startup_name,
        status=allocation.status,
        waitlist_position=allocation.waitlist_position,
        seats=allocation.state_after.seats,
        seats_taken=allocation.state_after.confirmed,
    )
    await outbox.add_events(
        conn,
        [
            CloudEvent.new(
                type=contract(f"enrollment.{allocation.status}").type,
                source=SOURCE,
                subject=accepted.cohort_code,
                data=changed,
                caused_by=event,
            )
        ],
    )
