"""Following the programs service: its catalog and its enrollment decisions."""

from __future__ import annotations

import uuid

import structlog

from aihub_applications.adapters import repository
from aihub_applications.domain.status import IllegalTransition, Status, transition
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import CohortPublished, EnrollmentChanged
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.errors import RejectedEvent

log = structlog.get_logger(__name__)

_STATUS_BY_ENROLLMENT = {"confirmed": Status.ENROLLED, "waitlisted": Status.WAITLISTED}


async def replicate_cohort(conn: DbConnection, event: CloudEvent, cohort: CohortPublished) -> None:
    await repository.replicate_cohort(conn, cohort, event.time)


async def follow_enrollment(
    conn: DbConnection, event: CloudEvent, change: EnrollmentChanged
) -> None:
    application_id = uuid.UUID(change.application_id)
    row = await repository.lock_application(conn, application_id)
    if row is None:
        raise RejectedEvent(f"no application {change.application_id}")
    current, target = Status(row["status"]), _STATUS_BY_ENROLLMENT[change.status]
    if current == target:
        return
    try:
        transition(current, target)
    except IllegalTransition as exc:
        raise RejectedEvent(str(exc)) from exc
    await repository.set_status(conn, application_id, target)
    await repository.add_history(
        conn, application_id, current, target, "programs", f"enrollment {change.status}"
    )
