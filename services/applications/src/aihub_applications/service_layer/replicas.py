"""Following the programs service: its catalog and its enrollment decisions."""

from __future__ import annotations

import uuid

import structlog

from aihub_applications.adapters import catalog_replica, history, repository
from aihub_applications.domain.status import RuleBroken, Status
from aihub_applications.service_layer.derived_bonus import derive_for_cohort
from aihub_applications.service_layer.loaders import review_of
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import CohortPublished, EnrollmentChanged
from aihub_shared.runtime.consumer import Handler
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.errors import RejectedEvent
from aihub_shared.runtime.event_clock import refuse_future_event

log = structlog.get_logger(__name__)

#: What each enrollment event means for the application.
STATUS_BY_ENROLLMENT_EVENT = {
    "enrollment.confirmed": Status.ENROLLED,
    "enrollment.promoted": Status.ENROLLED,
    "enrollment.waitlisted": Status.WAITLISTED,
    "enrollment.cancelled": Status.CANCELLED,
    "enrollment.agreement_signed": Status.AGREEMENT_SIGNED,
}


async def replicate_cohort(conn: DbConnection, event: CloudEvent, cohort: CohortPublished) -> None:
    refuse_future_event(event)  # it would stay "the newest" for ever
    await catalog_replica.replicate_cohort(conn, cohort, event.time)
    # A cohort that now derives 가점 from answers grants it to the applications in review.
    await derive_for_cohort(conn, cohort.cohort_code)


def follow_enrollment(event_name: str) -> Handler:
    target = STATUS_BY_ENROLLMENT_EVENT[event_name]

    async def handle(conn: DbConnection, event: CloudEvent, change: EnrollmentChanged) -> None:
        try:
            application_id = uuid.UUID(change.application_id)
        except ValueError:
            # Never one of ours (we issue UUIDs): a dead letter now, not five retries first.
            raise RejectedEvent(f"no application {change.application_id}") from None
        application = await repository.lock_application(conn, application_id)
        if application is None:
            raise RejectedEvent(f"no application {change.application_id}")
        state = application.lifecycle(await review_of(conn, application))
        try:
            new = state.follow_enrollment(target)
        except RuleBroken as exc:
            raise RejectedEvent(str(exc)) from exc
        if new.status is state.status:
            return
        await repository.set_status(conn, application_id, new.status)
        reason = f"{event_name.replace('.', ' ')}" + (f": {change.reason}" if change.reason else "")
        await history.add_history(
            conn, application_id, state.status, new.status, "programs", reason
        )

    return handle
