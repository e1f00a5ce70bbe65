"""A staff member asks for a delivery to be sent again: a new delivery, recorded as a resend."""

from __future__ import annotations

import uuid

import asyncpg
import structlog

from aihub_notifications.adapters import deliveries
from aihub_notifications.domain.access import check_delivery_visible
from aihub_notifications.domain.deliveries import delivery_id, message_id
from aihub_notifications.service_layer.deliveries import NO_SUCH_DELIVERY
from aihub_notifications.service_layer.mailing import with_queued_message
from aihub_shared.identity import StaffPrincipal
from aihub_shared.refusals import Conflict, NotFound
from aihub_shared.runtime.logging import mask_email

log = structlog.get_logger(__name__)

RESEND_EVENT_TYPE = "resend"


async def resend(pool: asyncpg.Pool, staff: StaffPrincipal, original_id: uuid.UUID) -> uuid.UUID:
    """Queue a copy of a sent or failed delivery the caller may see as a new delivery (new id,
    new Message-ID: it is a deliberate second mail), pointing at the original and naming who
    asked. One still pending is refused: the sender will deal with it."""
    async with pool.acquire() as conn, conn.transaction():
        row = await deliveries.locked_row(conn, original_id)
        if row is None:
            raise NotFound(NO_SUCH_DELIVERY)
        check_delivery_visible(staff, row["program_code"])
        if row["status"] == "pending":
            raise Conflict("the delivery is still pending; the sender will send it")
        # The request is its own cause: one id per request, so two clicks are two resends.
        cause = f"resend:{uuid.uuid4()}"
        identity = delivery_id(cause, row["recipient"], row["template"])
        await deliveries.insert_deliveries(
            conn,
            [
                with_queued_message(
                    deliveries.NewDelivery(
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
                        requested_by=staff.id,
                    )
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
