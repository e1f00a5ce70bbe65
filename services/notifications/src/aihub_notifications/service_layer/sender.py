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
`mail:after-smtp` (the server took the message, its attempt is not closed yet: the one window where
a resend is a real duplicate), `mail:after-sent-attempt` (the previous mail's attempt says sent,
its row does not yet, and the next mail's attempt is open) and `mail:after-mark` (rows written).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
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
        """Claim one batch of due deliveries and send them; returns what happened.

        The batch's row locks are held by one transaction until a mail fails or the batch ends:
        each attempt is recorded (and the previous mail's `sent` with its `email.sent` event) by
        one statement on a second connection, committed before the SMTP conversation; the rows
        are written when the stretch of sent mails ends, in one statement with its last outcome.
        A mail that failed or must be retried is written with its row at once (and the rest of
        the batch locked again), so only `sent` ever waits in an attempt for its row."""
        result = BatchResult()
        async with self._pool.acquire() as conn, self._pool.acquire() as marker:
            among: list[uuid.UUID] | None = None
            while not self._stopping.is_set():
                async with conn.transaction():
                    limit = self._config.batch_size if among is None else len(among)
                    rows = await deliveries.claim_due(conn, limit=limit, among=among)
                    if among is None:
                        result.claimed = len(rows)
                        if rows:
                            crash_if_armed("mail:after-claim")
                    if not rows:
                        break
                    stretch = await self._send_stretch(conn, marker, rows, result)
                if stretch.marked_sent:
                    crash_if_armed("mail:after-mark")
                if stretch.server_unavailable:
                    # The rest of the batch would only fail the same way: it was released
                    # (the transaction that locked it ended) and the worker pauses.
                    result.server_unavailable = True
                    break
                if not stretch.rest:
                    break
                # Another sender may take some meanwhile; SKIP LOCKED leaves them to it.
                among = [row.id for row in stretch.rest]
        return result

    async def _send_stretch(
        self,
        conn: DbConnection,
        marker: DbConnection,
        rows: list[deliveries.Delivery],
        result: BatchResult,
    ) -> _Stretch:
        """Send `rows` in order until one is not sent (or the sender stops), then settle their
        rows in `conn`'s transaction; what is left is returned unsent."""
        settled: list[deliveries.Settled] = []
        sent: tuple[deliveries.Delivery, int] | None = None  # its attempt not closed yet
        stretch = _Stretch()
        for index, row in enumerate(rows):
            if self._stopping.is_set():
                stretch.rest = rows[index:]
                break
            if sent is not None:
                settled.append(deliveries.Settled(sent[0].id, sent[1], "sent"))
            attempt, failure = await self._attempt(marker, row, sent)
            sent = None
            if attempt.sent_before:
                log.info("e-mail was sent before a crash; marked now", delivery_id=str(row.id))
                settled.append(deliveries.Settled(row.id, attempt.id, "sent"))
                continue
            if failure is None:
                sent = (row, attempt.id)
                stretch.sent += 1
                EMAILS.labels(row.template, "sent").inc()
                continue
            await self._settle_failure(conn, row, attempt.id, failure, settled)
            stretch.marked_sent = bool(settled)
            settled = []
            if failure.permanent:
                result.failed += 1
            else:
                result.retried += 1
            stretch.server_unavailable = failure.scope == "connection"
            stretch.rest = rows[index + 1 :]
            break
        if sent is not None:
            closing = deliveries.Settled(sent[0].id, sent[1], "sent")
            await deliveries.settle(conn, settled, closing=closing, events=[email_sent(sent[0])])
            stretch.marked_sent = True
        elif settled:
            await deliveries.settle(conn, settled, closing=None)
            stretch.marked_sent = True
        if stretch.sent:
            # One line per stretch, not per mail: each mail's record is its row, its attempt and
            # its `email.sent` event (the deliveries API); failures are logged one by one.
            log.info("e-mails sent", count=stretch.sent)
        result.sent += stretch.sent
        return stretch

    async def _settle_failure(
        self,
        conn: DbConnection,
        row: deliveries.Delivery,
        attempt: int,
        failure: SmtpFailure,
        settled: list[deliveries.Settled],
    ) -> None:
        """A mail the server did not take: its row (with the sent ones before it) written now,
        permanently failed with its `email.failed` event, or due again after a backoff."""
        bound = self._bound(row)
        if failure.permanent:
            closing = deliveries.Settled(row.id, attempt, "failed", failure.reason)
            events = [email_failed(row, failure.reason)]
            EMAILS.labels(row.template, "failed").inc()
            bound.error("e-mail failed permanently", reason=redact(failure.reason))
        else:
            delay = retry_delay(
                row.attempts + 1,
                base_seconds=self._config.retry_base_seconds,
                max_seconds=self._config.retry_max_seconds,
            )
            closing = deliveries.Settled(row.id, attempt, "retry", failure.reason, delay)
            events = []
            EMAILS.labels(row.template, "retry").inc()
            bound.warning(
                "e-mail not sent; will retry",
                reason=redact(failure.reason),
                scope=failure.scope,
                retry_in=delay,
            )
        await deliveries.settle(conn, settled, closing=closing, events=events)

    @staticmethod
    def _bound(row: deliveries.Delivery) -> Any:
        """A logger naming the delivery: only for what is logged per mail (never a sent one)."""
        return log.bind(
            delivery_id=str(row.id),
            template=row.template,
            recipient=mask_email(row.recipient),
            attempt=row.attempts + 1,
        )

    async def _attempt(
        self,
        marker: DbConnection,
        row: deliveries.Delivery,
        sent: tuple[deliveries.Delivery, int] | None,
    ) -> tuple[deliveries.Attempt, SmtpFailure | None]:
        """Record the attempt (closing the previous mail's as `sent`), then the SMTP
        conversation; the failure, or None when the server took the message. A queued message's
        envelope (MAIL FROM, RCPT TO) goes out while the attempt is recorded: the message itself
        (DATA) only follows once the attempt is committed."""
        message: EmailMessage | bytes | Exception
        try:
            message = self._message(row)
        except Exception as exc:  # an address the message cannot hold: refused when sent
            message = exc
        recording = deliveries.start_attempt(
            marker,
            row.id,
            sent=sent[1] if sent is not None else None,
            events=[email_sent(sent[0])] if sent is not None else [],
        )
        if isinstance(message, bytes):
            recorded, offered = await asyncio.gather(
                recording, self._envelope(row, len(message)), return_exceptions=True
            )
        else:
            recorded = await recording
            offered = message if isinstance(message, Exception) else None
        if isinstance(recorded, BaseException):
            await self._transport.drop()  # the envelope may be open: start afresh
            raise recorded
        if sent is not None:
            # The previous mail is sent by its attempt, its row not written yet.
            crash_if_armed("mail:after-sent-attempt")
        if recorded.sent_before:
            if offered is None:
                await self._transport.reset()
            return recorded, None
        if recorded.interrupted:
            POSSIBLE_DUPLICATES.labels(row.template).inc()
            self._bound(row).warning(
                "resending after an interrupted attempt; the receiver may see it twice",
                message_id=row.message_id,
            )
        if offered is not None:
            return recorded, self._failure(row, offered)
        assert not isinstance(message, Exception)
        return recorded, await self._send(row, message)

    async def _envelope(self, row: deliveries.Delivery, size: int) -> None:
        await self._transport.envelope(
            sender=self._from.addr_spec, recipient=row.recipient, size=size
        )

    async def _send(
        self, row: deliveries.Delivery, message: EmailMessage | bytes
    ) -> SmtpFailure | None:
        """The message handed over (after its envelope, for bytes); None when the server took
        it."""
        try:
            crash_if_armed("mail:before-smtp")
            if isinstance(message, bytes):
                await self._transport.data(message)
            else:
                await self._transport.send(
                    message, sender=self._from.addr_spec, recipient=row.recipient
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
            self._bound(row).error("unexpected error while sending", exc_info=exc)
        return failure

    def _message(self, row: deliveries.Delivery) -> EmailMessage | bytes:
        """The queued message with our From in front; built now if it was not queued built (a
        row from before migration 0008, or an address that needs SMTPUTF8)."""
        if row.message is not None and self._from.addr_spec.isascii():
            return self._from_header + row.message
        return build_message(deliveries.outgoing_mail(row), sender=self._from)


@dataclass
class _Stretch:
    """How a run of sends under one transaction's locks ended."""

    #: Claimed rows not tried (after a failure, or the sender stopping): still due.
    rest: list[deliveries.Delivery] = field(default_factory=list)
    server_unavailable: bool = False
    #: How many the server took.
    sent: int = 0
    #: Some row was written as sent when the stretch settled.
    marked_sent: bool = False


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
