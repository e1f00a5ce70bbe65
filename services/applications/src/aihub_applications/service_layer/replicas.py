"""Following the programs service: its catalog and its enrollment decisions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace

import structlog

from aihub_applications.adapters import catalog_replica, history, repository
from aihub_applications.domain.status import RuleBroken, Status
from aihub_applications.service_layer.derived_bonus import derive_for_cohort
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import CohortPublished, EnrollmentChanged
from aihub_shared.refusals import NotFound
from aihub_shared.runtime.batch import BatchHandler, Consumed, one_by_one
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
    """One event at a time, as the consumer's slow path runs `follow_enrollments`."""
    return one_by_one(follow_enrollments(event_name))


def follow_enrollments(event_name: str) -> BatchHandler:
    """A run of one enrollment event name, with the effect of handling them one by one in order
    (an application named twice moves twice, the later event last) in a few statements: the
    applications locked and read at once (id order, as `decide_many` locks them), each cohort's
    rules once, their new statuses and history written once each. Any refused event fails the
    run, which the consumer then hands over one event at a time, so it is dead-lettered alone
    with the reason it has here."""
    target = STATUS_BY_ENROLLMENT_EVENT[event_name]

    async def handle(conn: DbConnection, run: Sequence[Consumed]) -> None:
        changes = [c.data for c in run]
        locked = await repository.lock_applications(conn, [_application_id(c) for c in changes])
        reviews = {
            code: await catalog_replica.cohort_review(conn, code)
            for code in dict.fromkeys(a.cohort_code for a in locked.values())
        }
        statuses: dict[uuid.UUID, repository.StatusChange] = {}
        entries: list[history.StatusEntry] = []
        for change in changes:
            application = locked.get(_application_id(change))
            if application is None:
                raise RejectedEvent(f"no application {change.application_id}")
            review = reviews[application.cohort_code]
            if review is None:  # stored applications always had their cohort in the replica
                raise NotFound(f"no cohort {application.cohort_code} in the catalog replica")
            state = application.lifecycle(review)
            try:
                new = state.follow_enrollment(target)
            except RuleBroken as exc:
                raise RejectedEvent(str(exc)) from exc
            if new.status is state.status:
                continue
            locked[application.id] = replace(application, status=new.status)
            statuses[application.id] = repository.StatusChange(application.id, new.status)
            reason = event_name.replace(".", " ") + (f": {change.reason}" if change.reason else "")
            entries.append(
                history.StatusEntry(application.id, state.status, new.status, "programs", reason)
            )
        await repository.set_statuses(conn, list(statuses.values()))
        await history.add_status_history(conn, entries)

    return handle


def _application_id(change: EnrollmentChanged) -> uuid.UUID:
    try:
        return uuid.UUID(change.application_id)
    except ValueError:
        # Never one of ours (we issue UUIDs): a dead letter now, not five retries first.
        raise RejectedEvent(f"no application {change.application_id}") from None
