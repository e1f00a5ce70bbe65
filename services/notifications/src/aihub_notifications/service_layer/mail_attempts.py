"""One mail's attempt, as the mail sender (`sender.py`) makes it: the attempt recorded (with the
previous mail's outcome) while the message is offered to the server, then handed over."""

from __future__ import annotations

import asyncio
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

import structlog
from prometheus_client import Counter

from aihub_notifications.adapters import deliveries
from aihub_notifications.adapters.message import build_message, sender_header
from aihub_notifications.adapters.smtp import SmtpFailure, SmtpSendError, SmtpTransport, classify
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.failpoints import crash_if_armed
from aihub_shared.runtime.logging import mask_email

log = structlog.get_logger(__name__)

POSSIBLE_DUPLICATES = Counter(
    "emails_possible_duplicates_total",
    "Resends after an SMTP attempt a crash cut short (same Message-ID; may be a duplicate)",
    ["template"],
)


def delivery_log(row: deliveries.Delivery) -> Any:
    """A logger naming the delivery: only for what is logged per mail (never a sent one)."""
    return log.bind(
        delivery_id=str(row.id),
        template=row.template,
        recipient=mask_email(row.recipient),
        attempt=row.attempts + 1,
    )


class MailAttempts:
    """Attempts over one SMTP connection, from one sender address."""

    def __init__(self, transport: SmtpTransport, sender: Address) -> None:
        self._transport = transport
        self._sender = sender
        self._sender_header = sender_header(sender)

    async def attempt(
        self,
        marker: DbConnection,
        row: deliveries.Delivery,
        sent: tuple[deliveries.Delivery, int] | None,
    ) -> tuple[deliveries.Attempt, SmtpFailure | None]:
        """Record the attempt (closing the previous mail's as `sent`), then the SMTP
        conversation; the failure, or None when the server took the message. A queued message
        is offered while the attempt is recorded (envelope, DATA and its content, all but the
        line ending the data, see `SmtpTransport.offer`): it is handed over, by that last line,
        only once the attempt is committed."""
        message: EmailMessage | bytes | Exception
        try:
            message = self._message(row)
        except Exception as exc:  # an address the message cannot hold: refused when sent
            message = exc
        offered: Exception | None
        if isinstance(message, bytes):
            offering = asyncio.ensure_future(self._offer(row, message))
            try:
                # MAIL FROM leaves first; the statement is built and sent while the server
                # answers it.
                await asyncio.sleep(0)
                recorded = await self._record(marker, row, sent)
            except BaseException:
                offering.cancel()
                await asyncio.wait([offering])
                await self._transport.drop()  # the message may be held: start afresh
                raise
            offered = await offering
        else:
            recorded = await self._record(marker, row, sent)
            offered = message if isinstance(message, Exception) else None
        if sent is not None:
            # The previous mail is sent by its attempt, its row not written yet.
            crash_if_armed("mail:after-sent-attempt")
        if recorded.sent_before:
            if offered is None:
                await self._transport.withdraw()
            return recorded, None
        if recorded.interrupted:
            POSSIBLE_DUPLICATES.labels(row.template).inc()
            delivery_log(row).warning(
                "resending after an interrupted attempt; the receiver may see it twice",
                message_id=row.message_id,
            )
        if offered is not None:
            return recorded, self._failure(row, offered)
        assert not isinstance(message, Exception)
        return recorded, await self._send(row, message)

    async def _record(
        self,
        marker: DbConnection,
        row: deliveries.Delivery,
        sent: tuple[deliveries.Delivery, int] | None,
    ) -> deliveries.Attempt:
        return await deliveries.start_attempt(
            marker, row.id, sent=sent[1] if sent is not None else None
        )

    async def _offer(self, row: deliveries.Delivery, message: bytes) -> Exception | None:
        """What the offer failed with, or None."""
        try:
            await self._transport.offer(
                message, sender=self._sender.addr_spec, recipient=row.recipient
            )
        except Exception as exc:
            return exc
        return None

    async def _send(
        self, row: deliveries.Delivery, message: EmailMessage | bytes
    ) -> SmtpFailure | None:
        """The message handed over (ending the data offered, for bytes); None when the server
        took it."""
        try:
            crash_if_armed("mail:before-smtp")
            if isinstance(message, bytes):
                await self._transport.hand_over()
            else:
                await self._transport.send(
                    message, sender=self._sender.addr_spec, recipient=row.recipient
                )
            crash_if_armed("mail:after-smtp")
        except Exception as exc:
            return self._failure(row, exc)
        return None

    def _failure(self, row: deliveries.Delivery, exc: BaseException) -> SmtpFailure:
        if isinstance(exc, SmtpSendError):
            return exc.failure
        failure = classify(exc)
        if not failure.permanent:
            delivery_log(row).error("unexpected error while sending", exc_info=exc)
        return failure

    def _message(self, row: deliveries.Delivery) -> EmailMessage | bytes:
        """The queued message with our From in front; built now if it was not queued built (a
        row from before migration 0008, or an address that needs SMTPUTF8)."""
        if row.message is not None and self._sender.addr_spec.isascii():
            return self._sender_header + row.message
        return build_message(deliveries.outgoing_mail(row), sender=self._sender)
