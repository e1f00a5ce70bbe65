"""Queueing e-mails: render each request and store it as a pending delivery, in the caller's
transaction (the consumer's, together with its inbox claim). Nothing here talks to SMTP: the mail
sender picks the rows up after the commit.

Also what every mailing handler (`lifecycle.py`, `enrollments.py`) looks up first. A replica it
needs and does not have yet (the catalog or, for enrollments, the application lags) is
`RetryLater`: the kit's consumer retries with backoff, then dead-letters. A lifecycle event
whose application was never received is rejected at once (see `require_received`).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence

import structlog

from aihub_notifications.adapters import deliveries, directory, replicas
from aihub_notifications.adapters.message import InvalidAddress, queued_message
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.deliveries import delivery_id, message_id
from aihub_notifications.domain.mails import MailRequest
from aihub_notifications.domain.replicas import ApplicantReplica, CohortReplica
from aihub_notifications.domain.staff import MailKind, staff_recipients
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.registry import contract_for_type
from aihub_shared.contracts.values import Contact
from aihub_shared.privacy import is_erased_address
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.errors import RejectedEvent, RetryLater

log = structlog.get_logger(__name__)


def new_delivery(
    request: MailRequest,
    renderer: MailRenderer,
    *,
    event_id: str,
    event_type: str,
    correlation_id: str | None,
) -> deliveries.NewDelivery:
    address = str(request.recipient.email)
    rendered = renderer.render(request.template, request.recipient.locale, request.context)
    identity = delivery_id(event_id, address, request.template)
    return with_queued_message(
        deliveries.NewDelivery(
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
    )


def with_queued_message(delivery: deliveries.NewDelivery) -> deliveries.NewDelivery:
    """The delivery with its message built now, not when it is sent (see `queued_message`)."""
    try:
        message = queued_message(deliveries.outgoing_mail(delivery))
    except InvalidAddress:
        message = None  # refused when sent, as a permanent failure with its reason
    return dataclasses.replace(delivery, message=message)


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
    is then the caller's own idempotency key. A person whose data was erased is written to no
    more (their replica's address stands for the erased one)."""
    rows = [
        new_delivery(
            r, renderer, event_id=event_id, event_type=event_type, correlation_id=correlation_id
        )
        for r in requests
        if not is_erased_address(r.recipient.email)
    ]
    return len(await store_deliveries(conn, rows))


async def store_deliveries(
    conn: DbConnection, rows: Sequence[deliveries.NewDelivery]
) -> set[uuid.UUID]:
    """Insert the rendered deliveries (each once, see `insert_deliveries`); the new ones' ids.
    The callers leave out erased recipients (`is_erased_address`)."""
    new = await deliveries.insert_deliveries(conn, rows)
    if not rows:
        return new
    # One line per call, not per mail nor per event of a run: each mail's record is its row
    # (`GET /deliveries`).
    causes = list(dict.fromkeys(row.event_id for row in rows))
    cause = {"event_id": causes[0]} if len(causes) == 1 else {"events": len(causes)}
    log.info(
        "e-mails queued",
        **cause,
        queued=len(new),
        already_queued=len(rows) - len(new),
        templates=sorted({row.template for row in rows}),
    )
    return new


async def cohort_replica(conn: DbConnection, cohort_code: str) -> CohortReplica:
    return require_cohort(await replicas.cohort(conn, cohort_code), cohort_code)


async def applicant_replica(conn: DbConnection, application_id: str) -> ApplicantReplica:
    return require_replicated(await replicas.applicant(conn, application_id), application_id)


async def received_applicant(conn: DbConnection, application_id: str) -> ApplicantReplica:
    return require_received(await replicas.applicant(conn, application_id), application_id)


def require_cohort(cohort: CohortReplica | None, cohort_code: str) -> CohortReplica:
    if cohort is None:
        raise RetryLater(f"cohort {cohort_code!r} is not in the replica yet")
    return cohort


def require_replicated(applicant: ApplicantReplica | None, application_id: str) -> ApplicantReplica:
    """For events of another topic (enrollments): the lifecycle topic may simply lag."""
    if applicant is None:
        raise RetryLater(f"application {application_id!r} is not in the replica yet")
    return applicant


def require_received(applicant: ApplicantReplica | None, application_id: str) -> ApplicantReplica:
    """For later lifecycle events: `application.received` came before them on the same
    partition (the topic is keyed by cohort), so a missing applicant will never arrive. Waiting
    would hold the cohort's whole partition for nothing; the dead letter says why."""
    if applicant is None:
        raise RejectedEvent(
            f"application {application_id!r} was never received: its application.received"
            " precedes it on the same partition and is missing (dead-lettered or never sent)"
        )
    return applicant


async def staff_for(conn: DbConnection, kind: MailKind, cohort: CohortReplica) -> list[Contact]:
    return staff_recipients(
        kind,
        cohort.program_code,
        cohort_managers=cohort.program_managers,
        directory=await directory.staff_directory(conn),
    )


def event_name(event: CloudEvent) -> str:
    found = contract_for_type(event.type)
    assert found is not None  # the consumer routed the event by its contract
    return found.name
