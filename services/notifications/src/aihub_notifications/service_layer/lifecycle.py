"""`applications.lifecycle`: the applicant replica, the review assignments, and their mails.

Each handler keeps its replica current first, then asks the domain who gets what, and queues
the mails in the consumer's transaction (`mailing.py`). Received applications and decisions are
handled a run at a time, their staff notices grouped (`staff_notices.py`)."""

from __future__ import annotations

from collections.abc import Sequence

from aihub_notifications.adapters import directory, erasure, replicas, reviews
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain import mails
from aihub_notifications.domain.appeal_mails import appeal_decided
from aihub_notifications.domain.staff import MailKind, reviewer_recipient
from aihub_notifications.service_layer.appeal_mails import appeal_filed_handler
from aihub_notifications.service_layer.invitations import invite_reviewer
from aihub_notifications.service_layer.mailing import (
    cohort_replica,
    event_name,
    queue_mails,
    received_applicant,
    staff_for,
)
from aihub_notifications.service_layer.replicas import replicate_applicants
from aihub_notifications.service_layer.review_challenges import challenge_changed
from aihub_notifications.service_layer.staff_notices import RunLookups, queue_planned
from aihub_shared.contracts.applications import (
    ApplicationAdvanced,
    ApplicationAppeal,
    ApplicationDecided,
    ApplicationIneligible,
    ApplicationReceived,
    ApplicationWithdrawn,
    ReviewAssigned,
    ReviewConflictDeclared,
    ReviewSubmitted,
)
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.runtime import batch
from aihub_shared.runtime.batch import BatchHandler, Consumed
from aihub_shared.runtime.consumer import Handler
from aihub_shared.runtime.db import DbConnection


def lifecycle_batch_handlers(renderer: MailRenderer) -> dict[str, BatchHandler]:
    """The events whose staff notices are grouped per run (`staff_notices.py`)."""
    mailer = LifecycleMails(renderer)
    return {
        "application.received": mailer.received,
        "application.accepted": mailer.decided,
        "application.rejected": mailer.decided,
    }


def lifecycle_handlers(renderer: MailRenderer) -> dict[str, Handler]:
    """Every event one at a time (the batched ones as runs of one, as the consumer runs them
    on its slow path)."""
    mailer = LifecycleMails(renderer)
    batched = {
        name: batch.one_by_one(handler)
        for name, handler in lifecycle_batch_handlers(renderer).items()
    }
    return {
        **batched,
        "application.ineligible": mailer.ineligible,
        "application.withdrawn": mailer.withdrawn,
        "review.assigned": mailer.review_assigned,
        "review.submitted": review_submitted,
        "application.advanced": application_advanced,
        "appeal.decided": mailer.appeal_decided,
        "appeal.filed": appeal_filed_handler(renderer),
        "review.challenged": challenge_changed,
        "review.challenge_decided": challenge_changed,
        "review.conflict_declared": conflict_declared,
    }


class LifecycleMails:
    def __init__(self, renderer: MailRenderer) -> None:
        self._renderer = renderer

    async def received(self, conn: DbConnection, run: Sequence[Consumed]) -> None:
        """A constant number of statements per run, with the effect of the events one by one:
        every event's cohort is required (even an erased application's), an erased application
        is neither replicated nor told about, the others are replicated in their order."""
        arrivals = [(c.event, ApplicationReceived.model_validate(c.data)) for c in run]
        lookups = await RunLookups.load(conn, [data.cohort_code for _, data in arrivals])
        cohorts = [lookups.cohort(data.cohort_code) for _, data in arrivals]
        erased = await erasure.erased_among(conn, [data.application_id for _, data in arrivals])
        # Erased before its arrival reached us: nobody is told about it.
        kept = [
            (event, data, cohort)
            for (event, data), cohort in zip(arrivals, cohorts, strict=True)
            if data.application_id not in erased
        ]
        await replicate_applicants(conn, [(event, data) for event, data, _ in kept])
        planned = [
            (
                event,
                mails.application_received(
                    data, cohort, await lookups.staff(MailKind.NEW_APPLICATION, cohort)
                ),
            )
            for event, data, cohort in kept
        ]
        await queue_planned(conn, planned, self._renderer)

    async def ineligible(
        self, conn: DbConnection, event: CloudEvent, data: ApplicationIneligible
    ) -> None:
        cohort = await cohort_replica(conn, data.cohort_code)
        staff = await staff_for(conn, MailKind.INELIGIBLE, cohort)
        requests = mails.application_ineligible(data, cohort, staff)
        await queue_mails(conn, event, requests, self._renderer)

    async def decided(self, conn: DbConnection, run: Sequence[Consumed]) -> None:
        """A constant number of statements per run, with the effect of the events one by one
        (a decision about an application never received is refused as alone, and the run then
        goes one by one)."""
        decisions = [(c.event, ApplicationDecided.model_validate(c.data)) for c in run]
        lookups = await RunLookups.load(
            conn,
            [data.cohort_code for _, data in decisions],
            [data.application_id for _, data in decisions],
        )
        planned = []
        statuses = []
        for event, data in decisions:
            outcome = event_name(event).removeprefix("application.")
            cohort = lookups.cohort(data.cohort_code)
            applicant = lookups.received_applicant(data.application_id)
            statuses.append(replicas.StatusChange(data.application_id, outcome, event.time))
            staff = await lookups.staff(MailKind.DECISION, cohort)
            requests = mails.application_decided(outcome, data, cohort, applicant, staff)
            planned.append((event, requests))
        await replicas.set_applicant_statuses(conn, statuses)
        await queue_planned(conn, planned, self._renderer)

    async def appeal_decided(
        self, conn: DbConnection, event: CloudEvent, data: ApplicationAppeal
    ) -> None:
        """The applicant hears the outcome (and the figures they asked for); an upheld appeal
        puts the application back in review, in the replica too."""
        cohort = await cohort_replica(conn, data.cohort_code)
        applicant = await received_applicant(conn, data.application_id)
        if data.status == "upheld":
            await replicas.set_applicant_status(
                conn, data.application_id, "received", at=event.time
            )
        await queue_mails(conn, event, appeal_decided(data, cohort, applicant), self._renderer)

    async def withdrawn(
        self, conn: DbConnection, event: CloudEvent, data: ApplicationWithdrawn
    ) -> None:
        cohort = await cohort_replica(conn, data.cohort_code)
        applicant = await received_applicant(conn, data.application_id)
        await replicas.set_applicant_status(conn, data.application_id, "withdrawn", at=event.time)
        staff = await staff_for(conn, MailKind.ENROLLMENT, cohort)
        requests = mails.application_withdrawn(data, cohort, applicant, staff)
        await queue_mails(conn, event, requests, self._renderer)

    async def review_assigned(
        self, conn: DbConnection, event: CloudEvent, data: ReviewAssigned
    ) -> None:
        cohort = await cohort_replica(conn, data.cohort_code)
        await reviews.add_review_assignment(
            conn,
            application_id=data.application_id,
            stage_code=data.stage_code,
            reviewer_email=str(data.reviewer.id),
            program_code=data.program_code,
            cohort_code=data.cohort_code,
            due_at=data.due_at,
            assigned_at=event.time,
            replaces_email=str(data.replaces.id) if data.replaces else None,
            reviewer_name=data.reviewer.name,
            anonymous_label=data.anonymous_label,
        )
        # Named reviewers without an account get one, with an invitation (once per person).
        await invite_reviewer(
            conn, email=str(data.reviewer.id), name=data.reviewer.name, event_id=event.id
        )
        reviewer = reviewer_recipient(
            str(data.reviewer.id), data.reviewer.name, await directory.staff_directory(conn)
        )
        if reviewer is not None:
            requests = mails.review_assigned(data, cohort, reviewer)
            await queue_mails(conn, event, requests, self._renderer)


async def review_submitted(conn: DbConnection, event: CloudEvent, data: ReviewSubmitted) -> None:
    """No mail: the digest's pending reviews no longer count this assignment. (An unknown
    application is no dead letter: nothing is sent, and the digest only counts received
    applications anyway.)"""
    await reviews.mark_review_submitted(
        conn,
        application_id=data.application_id,
        stage_code=data.stage_code,
        reviewer_email=str(data.reviewer.id),
        program_code=data.program_code,
        cohort_code=data.cohort_code,
        submitted_at=data.submitted_at,
    )


async def application_advanced(
    conn: DbConnection, event: CloudEvent, data: ApplicationAdvanced
) -> None:
    """No mail: the stage it left has nothing pending for it any more."""
    await reviews.close_review_stage(conn, data.application_id, data.from_stage, at=event.time)


async def conflict_declared(
    conn: DbConnection, event: CloudEvent, data: ReviewConflictDeclared
) -> None:
    """No mail: the reviewer stepped aside, so the assignment is pending for nobody (a
    replacement, if any, follows as its own `review.assigned`)."""
    await reviews.withdraw_assignment(
        conn, data.application_id, data.stage_code, str(data.reviewer.id)
    )
