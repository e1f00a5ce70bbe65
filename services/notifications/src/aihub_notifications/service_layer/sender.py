"""The mail sender: a background worker that hands pending deliveries to the SMTP server.

It wakes on a NOTIFY from the deliveries insert (polling as a fallback), claims a batch of due
pending rows with `FOR UPDATE SKIP LOCKED` (so several replicas share the work and never send the
same row together) and sends them one after the other over one reused SMTP connection. Each row
is finished in its own transaction, right after the server answered for it: marked sent together
with its `email.sent` event in the outbox, or rescheduled with backoff, or marked failed. The rest
of the batch is locked again for the next row, so a crash can only repeat the one message that was
in flight, never the whole batch (its stable Message-ID lets mail clients drop that repeat).

Before the SMTP conversation of a row starts, an attempt row is committed on a second connection;
the outcome closes it. An attempt found still open when the row is picked up again was cut short
by a crash: the resend may be a duplicate (if the server had taken the message before the crash),
and `emails_possible_duplicates_total` counts it. A crash at any other moment repeats nothing.

Failpoints (`AIHUB_FAILPOINT`, crash tests only): `mail:after-claim`, `mail:before-smtp`,
`mail:after-smtp` (the server took the message, its row is not marked yet: the one window where a
resend is a real duplicate) and `mail:after-mark`.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import asyncpg
import structlog
from prometheus_client import Counter

from aihub_notifications.adapters import deliveries
from aihub_notifications.adapters.message import build_message, parse_sender, sender_header
from aihub_notifications.adapters.smtp import (
    SmtpConfig,
    SmtpFailure,
    SmtpSendError,
    SmtpTransport,
    classify,
    redact,
)
from aihub_notifications.domain.deliveries import retry_delay
from aihub_notifications.service_layer.events import email_failed, email_sent
from aihub_shared.runtime import outbox
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.failpoints import crash_if_armed
from aihub_shared.runtime.logging import mask_email
from aihub_shared.runtime.wakeup import Wakeup

log = structlog.get_logger(__name__)

EMAILS = Counter("emails_total", "E-mail delivery attempts by outcome", ["template", "outcome"])
POSSIBLE_DUPLICATES = Counter(
    "emails_possible_duplicates_total",
    "Resends after an SMTP attempt a crash cut short (same Message-ID; may be a duplicate)",
    ["template"],
)


@dataclass(frozen=True)
class SenderConfig:
    mail_from: str
    batch_size: int = 50
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    #: How long the worker itself waits after the server could not be used (doubling, capped).
    pause_initial_seconds: float = 1.0
    pause_max_seconds: float = 60.0


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    server_unavailable: bool = False


class MailSender:
    """A `BackgroundWorker`: `run()` until `stop()`."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        wakeup: Wakeup,
        transport: SmtpTransport,
        config: SenderConfig,
    ) -> None:
        self._pool = pool
        self._wakeup = wakeup
        self._transport = transport
        self._config = config
        self._from = parse_sender(config.mail_from)  # a bad MAIL_FROM fails at startup
        self._from_header = sender_header(self._from)
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        pause = self._config.pause_initial_seconds
        try:
            while not self._stopping.is_set():
                try:
                    result = await self.send_due()
                except Exception:
                    # Postgres down, or a bug: nothing was marked, so nothing is lost. Try again.
                    log.exception("mail batch failed; will retry", pause=pause)
                    await self._sleep(pause)
                    pause = min(pause * 2, self._config.pause_max_seconds)
                    continue
                if result.server_unavailable:
                    log.warning("SMTP server unavailable; pausing", pause=pause)
                    await self._sleep(pause)
                    pause = min(pause * 2, self._config.pause_max_seconds)
                    continue
                pause = self._config.pause_initial_seconds
                if result.claimed < self._config.batch_size:
                    await self._wakeup.wait()
        finally:
            await self._transport.close()
            await self._wakeup.close()

    async def stop(self) -> None:
        """Finish the message in flight, then return from `run()`."""
        self._stopping.set()
        self._wakeup.poke()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def send_due(self) -> BatchResult:
        """Claim one batch of due deliveries and send them; returns what happened."""
        result = BatchResult()
        async with self._pool.acquire() as conn:
            rest: list[uuid.UUID] | None = None
            while not self._stopping.is_set():
                async with conn.transaction():
                    if rest is None:
                        ids = await deliveries.lock_due(conn, limit=self._config.batch_size)
                        result.claimed = len(ids)
                    else:
                        # Another sender may have taken some meanwhile; SKIP LOCKED leaves them.
                        ids = await deliveries.lock_due(conn, limit=len(rest), among=rest)
                    if not ids:
                        break
                    if rest is None:
                        crash_if_armed("mail:after-claim")
                    current, rest = ids[0], ids[1:]
                    row = await deliveries.delivery(conn, current)
                    assert row is not None  # locked just now
                    failure = await self._deliver(conn, row)
                if failure is None:
                    crash_if_armed("mail:after-mark")
                    result.sent += 1
                elif failure.permanent:
                    result.failed += 1
                else:
                    result.retried += 1
                    if failure.scope == "connection":
                        # The server is down or refuses us: the rest of the batch would only
                        # fail the same way. Release it (the transaction that locked it ended).
                        result.server_unavailable = True
                        break
                if not rest:
                    break
        return result

    async def _deliver(self, conn: DbConnection, row: deliveries.Delivery) -> SmtpFailure | None:
        """Send one delivery and record the outcome in the caller's transaction."""
        bound = log.bind(
            delivery_id=str(row.id),
            template=row.template,
            recipient=mask_email(row.recipient),
            attempt=row.attempts + 1,
        )
        # Committed at once, on its own connection: it must survive a crash during SMTP.
        async with self._pool.acquire() as marker:
            attempt = await deliveries.start_attempt(marker, row.id)
        if attempt.interrupted:
            POSSIBLE_DUPLICATES.labels(row.template).inc()
            bound.warning(
                "resending after an interrupted attempt; the receiver may see it twice",
                message_id=row.message_id,
            )
        failure = await self._send(row, bound)
        if failure is None:
            await deliveries.mark_sent(conn, row.id, attempt=attempt.id, events=[email_sent(row)])
            EMAILS.labels(row.template, "sent").inc()
            bound.info("e-mail sent")
        elif failure.permanent:
            await deliveries.mark_failed(conn, row.id, attempt=attempt.id, error=failure.reason)
            await outbox.add_events(conn, [email_failed(row, failure.reason)])
            EMAILS.labels(row.template, "failed").inc()
            bound.error("e-mail failed permanently", reason=redact(failure.reason))
        else:
            await self._reschedule(conn, row, attempt.id, failure, bound)
        return failure

    async def _send(self, row: deliveries.Delivery, bound: Any) -> SmtpFailure | None:
        """One SMTP conversation; None when the server took the message."""
        try:
            message = self._message(row)
            crash_if_armed("mail:before-smtp")
            await self._transport.send(
                message, sender=self._from.addr_spec, recipient=row.recipient
            )
            crash_if_armed("mail:after-smtp")
        except SmtpSendError as exc:
            return exc.failure
        except Exception as exc:
            failure = classify(exc)
            if not failure.permanent:
                bound.exception("unexpected error while sending")
            return failure
        return None

    def _message(self, row: deliveries.Delivery) -> EmailMessage | bytes:
        """The queued message with our From in front; built now if it was not queued built (a
        row from before migration 0008, or an address that needs SMTPUTF8)."""
        if row.message is not None and self._from.addr_spec.isascii():
            return self._from_header + row.message
        return build_message(deliveries.outgoing_mail(row), sender=self._from)

    async def _reschedule(
        self,
        conn: DbConnection,
        row: deliveries.Delivery,
        attempt: int,
        failure: SmtpFailure,
        bound: Any,
    ) -> None:
        """The server refused for now (4xx, down): try again later, backing off."""
        delay = retry_delay(
            row.attempts + 1,
            base_seconds=self._config.retry_base_seconds,
            max_seconds=self._config.retry_max_seconds,
        )
        await deliveries.mark_retry(
            conn, row.id, attempt=attempt, error=failure.reason, delay_seconds=delay
        )
        EMAILS.labels(row.template, "retry").inc()
        bound.warning(
            "e-mail not sent; will retry",
            reason=redact(failure.reason),
            scope=failure.scope,
            retry_in=delay,
        )


def mail_senders(
    pool: asyncpg.Pool,
    wakeup: Callable[[], Wakeup],
    smtp: SmtpConfig,
    config: SenderConfig,
    *,
    connections: int,
) -> list[MailSender]:
    """`connections` senders, each with its own SMTP connection and listener. They share the
    pending deliveries exactly as several instances of the service do: each row is sent by
    whoever holds its row lock, so never by two at once."""
    return [MailSender(pool, wakeup(), SmtpTransport(smtp), config) for _ in range(connections)]
