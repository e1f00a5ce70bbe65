"""Queueing e-mails: render each request and store it as a pending delivery, in the caller's
transaction (the consumer's, together with its inbox claim). Nothing here talks to SMTP: the mail
sender picks the rows up after the commit.

Each handler keeps its replica current first, then asks the domain who gets what. A replica it
needs and does not have yet (the catalog or, for enrollments, the application lags) is
`RetryLater`: the kit's consumer retries with backoff, then dead-letters. A lifecycle event
whose application was never received is rejected at once (see `_received_applicant`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import structlog

from aihub_notifications.adapters import directory, repository
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain import mails
from aihub_notifications.domain.deliveries import delivery_id, message_id, recipient_key
from aihub_notifications.domain.mails import MailRequest
from aihub_notifications.domain.replicas import ApplicantReplica, CohortReplica
from aihub_notifications.domain.staff import MailKind, staff_recipients
from aihub_notifications.service_layer.replicas import replicate_applicant
from aihub_shared.contracts.applications import (
    ApplicationAdvanced,
    ApplicationDecided,
    ApplicationIneligible,
    ApplicationReceived,
    ApplicationWithdrawn,
    ReviewAssigned,
    ReviewSubmitted,
)
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import CohortFilled, EnrollmentChanged
from aihub_shared.contracts.registry import contract_for_type
from aihub_shared.contracts.values import Contact
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.errors import RejectedEvent, RetryLater
from aihub_shared.runtime.logging import mask_email

log = structlog.get_logger(__name__)

Handler = Callable[[DbConnection, CloudEvent, Any], Awaitable[None]]


def new_delivery(
    request: MailRequest,
    renderer: MailRenderer,
    *,
    event_id: str,
    event_type: str,
    correlation_id: str | None,
) -> repository.NewDelivery:
    address = str(request.recipient.email)
    rendered = renderer.render(request.template, request.recipient.locale, request.context)
    identity = delivery_id(event_id, address, request.template)
    return repository.NewDelivery(
        id=identity,
        event_id=event_id,
        event_type=event_type,
        correlation_id=correlation_id,
        template=request.template,
        locale=rendered.locale,
        recipient=address,
        recipient_name=request.recipient.name,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        message_id=message_id(identity),
        program_code=request.program_code,
    )


async def queue_mails(
    conn: DbConnection, event: CloudEvent, requests: Sequence[MailRequest], renderer: MailRenderer
) -> int:
    """Store one pending delivery per request; returns how many were new."""
    return await queue_requests(
        conn,
        requests,
        renderer,
        event_id=event.id,
        event_type=event.type,
        correlation_id=event.correlationid,
    )


async def queue_requests(
    conn: DbConnection,
    requests: Sequence[MailRequest],
    renderer: MailRenderer,
    *,
    event_id: str,
    event_type: str,
    correlation_id: str | None = None,
) -> int:
    """Like `queue_mails`, for mails not caused by one CloudEvent (alerts, digests): `event_id`
    is then the caller's own idempotency key."""
    rows = [
        new_delivery(
            r, renderer, event_id=event_id, event_type=event_type, correlation_id=correlation_id
        )
        for r in requests
    ]
    new = await repository.insert_deliveries(conn, rows)
    for row in rows:
        log.info(
            "e-mail queued" if row.id in new else "e-mail was already queued",
            delivery_id=str(row.id),
            template=row.template,
            recipient=mask_email(row.recipient),
            locale=row.locale,
        )
    return len(new)


async def _cohort(conn: DbConnection, cohort_code: str) -> CohortReplica:
    cohort = await repository.cohort(conn, cohort_code)
    if cohort is None:
        raise RetryLater(f"cohort {cohort_code!r} is not in the replica yet")
    return cohort


async def _applicant(conn: DbConnection, application_id: str) -> ApplicantReplica:
    """For events of another topic (enrollments): the lifecycle topic may simply lag."""
    applicant = await repository.applicant(conn, application_id)
    if applicant is None:
        raise RetryLater(f"application {application_id!r} is not in the replica yet")
    return applicant


async def _received_applicant(conn: DbConnection, application_id: str) -> ApplicantReplica:
    """For later lifecycle events: `application.received` came before them on the same
    partition (the topic is keyed by cohort), so a missing applicant will never arrive. Waiting
    would hold the cohort's whole partition for nothing; the dead letter says why."""
    applicant = await repository.applicant(conn, application_id)
    if applicant is None:
        raise RejectedEvent(
            f"application {application_id!r} was never received: its application.received"
            " precedes it on the same partition and is missing (dead-lettered or never sent)"
        )
    return applicant


async def _staff(conn: DbConnection, kind: MailKind, cohort: CohortReplica) -> list[Contact]:
    return staff_recipients(
        kind,
        cohort.program_code,
        cohort_managers=cohort.program_managers,
        directory=await directory.staff_directory(conn),
    )


def _event_name(event: CloudEvent) -> str:
    found = contract_for_type(event.type)
    assert found is not None  # the consumer routed the event by its contract
    return found.name


def lifecycle_handlers(renderer: MailRenderer) -> dict[str, Handler]:
    """`applications.lifecycle`: the applicant replica, the review assignments, and mails."""

    async def received(conn: DbConnection, event: CloudEvent, data: ApplicationReceived) -> None:
        cohort = await _cohort(conn, data.cohort_code)
        await replicate_applicant(conn, event, data)
        staff = await _staff(conn, MailKind.NEW_APPLICATION, cohort)
        await queue_mails(conn, event, mails.application_received(data, cohort, staff), renderer)

    async def ineligible(
        conn: DbConnection, event: CloudEvent, data: ApplicationIneligible
    ) -> None:
        cohort = await _cohort(conn, data.cohort_code)
        staff = await _staff(conn, MailKind.INELIGIBLE, cohort)
        await queue_mails(conn, event, mails.application_ineligible(data, cohort, staff), renderer)

    async def decided(conn: DbConnection, event: CloudEvent, data: ApplicationDecided) -> None:
        outcome = _event_name(event).removeprefix("application.")
        cohort = await _cohort(conn, data.cohort_code)
        applicant = await _received_applicant(conn, data.application_id)
        await repository.set_applicant_status(conn, data.application_id, outcome, at=event.time)
        staff = await _staff(conn, MailKind.DECISION, cohort)
        requests = mails.application_decided(outcome, data, cohort, applicant, staff)
        await queue_mails(conn, event, requests, renderer)

    async def withdrawn(conn: DbConnection, event: CloudEvent, data: ApplicationWithdrawn) -> None:
        cohort = await _cohort(conn, data.cohort_code)
        applicant = await _received_applicant(conn, data.application_id)
        await repository.set_applicant_status(conn, data.application_id, "withdrawn", at=event.time)
        staff = await _staff(conn, MailKind.ENROLLMENT, cohort)
        requests = mails.application_withdrawn(data, cohort, applicant, staff)
        await queue_mails(conn, event, requests, renderer)

    async def review_assigned(conn: DbConnection, event: CloudEvent, data: ReviewAssigned) -> None:
        cohort = await _cohort(conn, data.cohort_code)
        await repository.add_review_assignment(
            conn,
            application_id=data.application_id,
            stage_code=data.stage_code,
            reviewer_email=str(data.reviewer.id),
            program_code=data.program_code,
            cohort_code=data.cohort_code,
            due_at=data.due_at,
            assigned_at=event.time,
            replaces_email=str(data.replaces.id) if data.replaces else None,
        )
        reviewer = Contact.model_validate(
            {"name": data.reviewer.name, "email": data.reviewer.id, "locale": "ko"}
        )
        known = {recipient_key(m.email): m for m in await directory.staff_directory(conn)}
        member = known.get(recipient_key(str(data.reviewer.id)))
        if member is not None:
            if not member.active:
                return
            reviewer = member.contact
        await queue_mails(conn, event, mails.review_assigned(data, cohort, reviewer), renderer)

    async def review_submitted(
        conn: DbConnection, event: CloudEvent, data: ReviewSubmitted
    ) -> None:
        """No mail: the digest's pending reviews no longer count this assignment. (An unknown
        application is no dead letter: nothing is sent, and the digest only counts received
        applications anyway.)"""
        await repository.mark_review_submitted(
            conn,
            application_id=data.application_id,
            stage_code=data.stage_code,
            reviewer_email=str(data.reviewer.id),
            program_code=data.program_code,
            cohort_code=data.cohort_code,
            submitted_at=data.submitted_at,
        )

    async def advanced(conn: DbConnection, event: CloudEvent, data: ApplicationAdvanced) -> None:
        """No mail: the stage it left has nothing pending for it any more."""
        await repository.close_review_stage(
            conn, data.application_id, data.from_stage, at=event.time
        )

    return {
        "application.received": received,
        "application.ineligible": ineligible,
        "application.accepted": decided,
        "application.rejected": decided,
        "application.withdrawn": withdrawn,
        "review.assigned": review_assigned,
        "review.submitted": review_submitted,
        "application.advanced": advanced,
    }


def enrollment_handlers(renderer: MailRenderer) -> dict[str, Handler]:
    """`programs.enrollments`: every enrollment change and a full cohort."""

    async def count_seats(
        conn: DbConnection, event: CloudEvent, data: EnrollmentChanged | CohortFilled
    ) -> CohortReplica:
        cohort = await _cohort(conn, data.cohort_code)
        await repository.update_seats_taken(
            conn,
            data.cohort_code,
            seats=data.seats,
            seats_taken=data.seats_taken,
            event_time=event.time,
        )
        return cohort

    async def changed(conn: DbConnection, event: CloudEvent, data: EnrollmentChanged) -> None:
        cohort = await count_seats(conn, event, data)
        applicant = await _applicant(conn, data.application_id)
        staff = await _staff(conn, MailKind.ENROLLMENT, cohort)
        requests = mails.enrollment_changed(_event_name(event), data, cohort, applicant, staff)
        await queue_mails(conn, event, requests, renderer)

    async def filled(conn: DbConnection, event: CloudEvent, data: CohortFilled) -> None:
        cohort = await count_seats(conn, event, data)
        staff = await _staff(conn, MailKind.COHORT_FILLED, cohort)
        await queue_mails(conn, event, mails.cohort_filled(data, cohort, staff), renderer)

    return {
        "enrollment.confirmed": changed,
        "enrollment.waitlisted": changed,
        "enrollment.promoted": changed,
        "enrollment.agreement_signed": changed,
        "enrollment.cancelled": changed,
        "cohort.filled": filled,
    }


def enrollment_confirmed_handler(renderer: MailRenderer) -> Handler:
    """`enrollment.confirmed` alone (tests and callers of the first slice)."""
    return enrollment_handlers(renderer)["enrollment.confirmed"]
