"""A staff member asks for a delivery to be sent again: a new delivery, recorded as a resend."""

from __future__ import annotations

import uuid

import asyncpg
import structlog

from aihub_notifications.adapters import repository
from aihub_notifications.domain.deliveries import delivery_id, message_id
from aihub_shared.runtime.logging import mask_email

log = structlog.get_logger(__name__)

RESEND_EVENT_TYPE = "resend"


class DeliveryNotFound(Exception):
    pass


class StillPending(Exception):
    """The original has not been given up nor sent yet: the sender will deal with it."""


async def resend(pool: asyncpg.Pool, original_id: uuid.UUID, *, requested_by: str) -> uuid.UUID:
    """Queue a copy of a sent or failed delivery as a new delivery (new id, new Message-ID: it
    is a deliberate second mail), pointing at the original and naming who asked."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT * FROM deliveries WHERE id = $1 FOR NO KEY UPDATE", original_id
        )
        if row is None:
            raise DeliveryNotFound(str(original_id))
        if row["status"] == "pending":
            raise StillPending(str(original_id))
        # The request is its own cause: one id per request, so two clicks are two resends.
        cause = f"resend:{uuid.uuid4()}"
        identity = delivery_id(cause, row["recipient"], row["template"])
        await repository.insert_deliveries(
            conn,
            [
                repository.NewDelivery(
                    id=identity,
                    event_id=cause,
                    event_type=RESEND_EVENT_TYPE,
                    correlation_id=row["correlation_id"],
                    template=row["template"],
                    locale=row["locale"],
                    recipient=row["recipient"],
                    recipient_name=row["recipient_name"],
                    subject=row["subject"],
                    body_text=row["body_text"],
                    body_html=row["body_html"],
                    message_id=message_id(identity),
                    program_code=row["program_code"],
                    resend_of=original_id,
                    requested_by=requested_by,
                )
            ],
        )
    log.info(
        "resend queued",
        delivery_id=str(identity),
        resend_of=str(original_id),
        recipient=mask_email(row["recipient"]),
    )
    return identity
