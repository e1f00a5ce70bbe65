"""Queueing e-mails: render each request and store it as a pending delivery, in the caller's
transaction (the consumer's, together with its inbox claim). Nothing here talks to SMTP: the mail
sender picks the rows up after the commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import structlog

from aihub_notifications.adapters import repository
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain import mails
from aihub_notifications.domain.deliveries import delivery_id, message_id
from aihub_notifications.domain.mails import MailRequest
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import EnrollmentChanged
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.errors import RetryLater
from aihub_shared.runtime.logging import mask_email

log = structlog.get_logger(__name__)


async def queue_mails(
    conn: DbConnection, event: CloudEvent, requests: Sequence[MailRequest], renderer: MailRenderer
) -> int:
    """Store one pending delivery per request; returns how many were new."""
    rows = []
    for request in requests:
        address = str(request.recipient.email)
        rendered = renderer.render(request.template, request.recipient.locale, request.context)
        identity = delivery_id(event.id, address, request.template)
        rows.append(
            repository.NewDelivery(
                id=identity,
                event_id=event.id,
                event_type=event.type,
                correlation_id=event.correlationid,
                template=request.template,
                locale=rendered.locale,
                recipient=address,
                recipient_name=request.recipient.name,
                subject=rendered.subject,
                body_text=rendered.text,
                body_html=rendered.html,
                message_id=message_id(identity),
            )
        )
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


EventHandler = Callable[[DbConnection, CloudEvent, EnrollmentChanged], Awaitable[None]]


def enrollment_confirmed_handler(renderer: MailRenderer) -> EventHandler:
    """`enrollment.confirmed`: tell the cohort's program managers and the applicant."""

    async def notify_enrollment_confirmed(
        conn: DbConnection, event: CloudEvent, enrollment: EnrollmentChanged
    ) -> None:
        cohort = await repository.cohort(conn, enrollment.cohort_code)
        if cohort is None:
            raise RetryLater(f"cohort {enrollment.cohort_code!r} is not in the replica yet")
        applicant = await repository.applicant(conn, enrollment.application_id)
        if applicant is None:
            raise RetryLater(f"application {enrollment.application_id!r} is not in the replica yet")
        requests = mails.enrollment_confirmed(enrollment, cohort, applicant)
        await queue_mails(conn, event, requests, renderer)

    return notify_enrollment_confirmed
