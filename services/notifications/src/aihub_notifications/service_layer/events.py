"""Building the events this service publishes: `email.sent` and `email.failed` on
`notifications.deliveries`, each keyed by its delivery id and continuing the trace of the event
that caused the e-mail."""

from __future__ import annotations

from pydantic import BaseModel

from aihub_notifications.adapters.deliveries import Delivery
from aihub_notifications.adapters.smtp import redact
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.notifications import EmailDelivered, EmailFailed
from aihub_shared.contracts.registry import ServiceEvents
from aihub_shared.runtime.logging import mask_email

EVENTS = ServiceEvents("/services/notifications")
new_event = EVENTS.new


def email_sent(row: Delivery) -> CloudEvent:
    return _about(
        row,
        "email.sent",
        EmailDelivered(
            delivery_id=str(row.id),
            caused_by_event_id=row.event_id,
            template=row.template,
            recipient_masked=mask_email(row.recipient),
            message_id=row.message_id,
        ),
    )


def email_failed(row: Delivery, reason: str) -> CloudEvent:
    return _about(
        row,
        "email.failed",
        EmailFailed(
            delivery_id=str(row.id),
            caused_by_event_id=row.event_id,
            template=row.template,
            recipient_masked=mask_email(row.recipient),
            # Servers quote the address in their reply: the event carries it masked.
            reason=redact(reason)[:1000],
            attempts=row.attempts + 1,
        ),
    )


def _about(row: Delivery, name: str, data: BaseModel) -> CloudEvent:
    return new_event(
        name,
        subject=str(row.id),
        data=data,
        # Continue the trace of the event that caused the e-mail.
        correlation_id=row.correlation_id or row.event_id,
        causation_id=row.event_id,
    )
