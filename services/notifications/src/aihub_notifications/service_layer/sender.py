"""The mail sender: a background worker that hands pending deliveries to the SMTP server.

It wakes on a NOTIFY from the deliveries insert (polling as a fallback), claims a batch of due
pending rows with `FOR NO KEY UPDATE SKIP LOCKED` (so several replicas share the work and never
send the same row together) and sends them one after the other over one reused SMTP connection,
holding the batch's locks in the claiming transaction.

Per mail, one statement on a second connection, committed before the message is handed over,
opens the mail's attempt row and closes the previous mail's as sent. Meanwhile the message is
offered: MAIL FROM, RCPT TO, DATA and its content go out, all but the line that ends the data,
which hands it over once the statement is committed (the server takes nothing before that line;
a crash drops the connection and with it the message). The rows are written when the run of sent
mails ends, in one statement with the last outcome and each sent row's `email.sent` event (an
event per mail in the attempt's statement would NOTIFY the relay per mail, and Postgres
serialises notifying commits); a mail refused or to be retried is written with its row at once
(the rest of the batch locked again). An attempt closed as sent on a row still pending (a crash
in between) marks the row sent without sending again; an attempt still open was cut short by a
crash: the resend may be a duplicate (if the server had taken the message before the crash), and
`emails_possible_duplicates_total` counts it. So a crash can only repeat the one message that
was in flight (its stable Message-ID lets mail clients drop that repeat).

Failpoints (`AIHUB_FAILPOINT`, crash tests only): `mail:after-claim`, `mail:before-smtp` (the
attempt recorded, the server holding the whole message, not ended), `mail:after-smtp` (the
server took the message, its attempt is not closed yet: the one window where a resend is a real
duplicate), `mail:after-sent-attempt` (the previous mail's attempt says sent, its row does not
yet, and the next mail's attempt is open) and `mail:after-mark` (rows written).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
import structlog
from prometheus_client import Counter

from aihub_notifications.adapters import deliveries
from aihub_notifications.adapters.message import parse_sender
from aihub_notifications.adapters.smtp import SmtpConfig, SmtpFailure, SmtpTransport, redact
from aihub_notifications.domain.deliveries import retry_delay
from aihub_notifications.service_layer.events import email_failed, email_sent
from aihub_notifications.service_layer.mail_attempts import MailAttempts, delivery_log
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.failpoints import crash_if_armed
from aihub_shared.runtime.wakeup import Wakeup

log = structlog.get_logger(__name__)

EMAILS = Counter("emails_total", "E-mail delivery attempts by outcome", ["template", "outcome"])


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
        self._attempts = MailAttempts(transport, self._from)
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        pause = self._config.pause_initial_seconds
        try:
            while not self._stopping.is_set():
                try:
                    result = await self._send_while_due()
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
        async with self._pool.acquire() as conn, self._pool.acquire() as marker:
            return await self._send_batch(conn, marker)

    async def _send_while_due(self) -> BatchResult:
        """Batch after batch on the same two connections while they come back full (more may
        be due); the last one's result. Giving the connections back to the pool between
        batches would cost a reset and an acquire of each, round trips between two mails."""
        async with self._pool.acquire() as conn, self._pool.acquire() as marker:
            while True:
                result = await self._send_batch(conn, marker)
                if (
                    result.claimed < self._config.batch_size
                    or result.server_unavailable
                    or self._stopping.is_set()
                ):
                    return result

    async def _send_batch(self, conn: DbConnection, marker: DbConnection) -> BatchResult:
        result = BatchResult()
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
                # The rest of the batch would only fail the same way: it was released (the
                # transaction that locked it ended) and the worker pauses.
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
        sent_events: list[CloudEvent] = []  # the `email.sent` of each row in `settled`
        sent: tuple[deliveries.Delivery, int] | None = None  # its attempt not closed yet
        stretch = _Stretch()
        for index, row in enumerate(rows):
            if self._stopping.is_set():
                stretch.rest = rows[index:]
                break
            if sent is not None:
                settled.append(deliveries.Settled(sent[0].id, sent[1], "sent"))
                sent_events.append(email_sent(sent[0]))
            attempt, failure = await self._attempts.attempt(marker, row, sent)
            sent = None
            if attempt.sent_before:
                log.info("e-mail was sent before a crash; marked now", delivery_id=str(row.id))
                settled.append(deliveries.Settled(row.id, attempt.id, "sent"))
                sent_events.append(email_sent(row))
                continue
            if failure is None:
                sent = (row, attempt.id)
                stretch.sent += 1
                EMAILS.labels(row.template, "sent").inc()
                continue
            await self._settle_failure(conn, row, attempt.id, failure, settled, sent_events)
            stretch.marked_sent = bool(settled)
            settled, sent_events = [], []
            if failure.permanent:
                result.failed += 1
            else:
                result.retried += 1
            stretch.server_unavailable = failure.scope == "connection"
            stretch.rest = rows[index + 1 :]
            break
        if sent is not None:
            closing = deliveries.Settled(sent[0].id, sent[1], "sent")
            events = [*sent_events, email_sent(sent[0])]
            await deliveries.settle(conn, settled, closing=closing, events=events)
            stretch.marked_sent = True
        elif settled:
            await deliveries.settle(conn, settled, closing=None, events=sent_events)
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
        sent_events: list[CloudEvent],
    ) -> None:
        """A mail the server did not take: its row (with the sent ones before it and their
        `email.sent`) written now, permanently failed with its `email.failed` event, or due
        again after a backoff."""
        bound = delivery_log(row)
        if failure.permanent:
            closing = deliveries.Settled(row.id, attempt, "failed", failure.reason)
            events = [*sent_events, email_failed(row, failure.reason)]
            EMAILS.labels(row.template, "failed").inc()
            bound.error("e-mail failed permanently", reason=redact(failure.reason))
        else:
            delay = retry_delay(
                row.attempts + 1,
                base_seconds=self._config.retry_base_seconds,
                max_seconds=self._config.retry_max_seconds,
            )
            closing = deliveries.Settled(row.id, attempt, "retry", failure.reason, delay)
            events = sent_events
            EMAILS.labels(row.template, "retry").inc()
            bound.warning(
                "e-mail not sent; will retry",
                reason=redact(failure.reason),
                scope=failure.scope,
                retry_in=delay,
            )
        await deliveries.settle(conn, settled, closing=closing, events=events)


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
