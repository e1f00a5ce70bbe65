"""The mail sender on the real Postgres and real SMTP servers (aiosmtpd): each pending delivery
leaves once, 4xx and lost connections are retried with backoff, 5xx fails for good."""

from __future__ import annotations

import asyncio
import json
import mailbox
import re
import ssl
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import structlog

from aihub_local.faulty_smtp import FaultySmtp
from aihub_local.platform import free_port
from aihub_local.stack import StackEndpoints
from aihub_local.testing import eventually, handle_in_transaction
from aihub_notifications.adapters.smtp import SmtpConfig, SmtpTransport
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.service_layer.enrollments import enrollment_confirmed_handler
from aihub_notifications.service_layer.sender import MailSender, SenderConfig
from aihub_shared.contracts.registry import contract
from aihub_shared.runtime.outbox import decode_headers
from aihub_shared.runtime.wakeup import Wakeup
from services.notifications.tests.support import (
    MAIL_FROM,
    WAKEUP_CHANNEL,
    enrollment,
    founder,
    make_sender,
    manager,
    one_batch,
    queue_enrollment,
)

pytestmark = pytest.mark.integration

DELIVERY_HEADER = "X-AIHub-Delivery-Id"


@pytest.fixture
async def running() -> AsyncIterator[list[tuple[MailSender, asyncio.Task[None]]]]:
    """Senders started by a test run as background tasks; all stopped cleanly at the end."""
    started: list[tuple[MailSender, asyncio.Task[None]]] = []
    yield started
    await stop_all(started)


async def stop_all(started: list[tuple[MailSender, asyncio.Task[None]]]) -> None:
    """Stop the senders and wait until they returned: from then on nothing can be sent, so what
    the server holds is final (no "wait a bit and see no duplicate")."""
    for sender, _ in started:
        await sender.stop()
    for _, task in started:
        await asyncio.wait_for(task, timeout=10)
    started.clear()


def start(
    running: list[tuple[MailSender, asyncio.Task[None]]], sender: MailSender
) -> asyncio.Task[None]:
    task = asyncio.create_task(sender.run())
    running.append((sender, task))
    return task


async def rows(db: asyncpg.Pool) -> list[dict[str, Any]]:
    return [dict(r) for r in await db.fetch("SELECT * FROM deliveries ORDER BY recipient")]


async def sent_events(db: asyncpg.Pool) -> list[dict[str, Any]]:
    found = await db.fetch(
        "SELECT key, value, headers FROM outbox WHERE topic = 'notifications.deliveries'"
        " ORDER BY id"
    )
    return [
        {
            "key": r["key"].decode(),
            "event": json.loads(r["value"]),
            "headers": dict(decode_headers(r["headers"])),
        }
        for r in found
    ]


def all_status(status: str) -> Any:
    async def probe(db: asyncpg.Pool) -> bool:
        return bool(await db.fetchval("SELECT bool_and(status = $1) FROM deliveries", status))

    return probe


def text_of(header: Any) -> str:
    """A header as a reader shows it: unfolded (RFC 5322: drop the CRLF, keep the space), then
    RFC 2047-decoded."""
    unfolded = re.sub(r"\r?\n(?=[ \t])", "", str(header)).strip()
    return str(make_header(decode_header(unfolded)))


def connected(transport: SmtpTransport) -> bool:
    return transport.connected


def maildir_messages(mail_dir: Path, delivery_ids: set[str]) -> list[Message]:
    box = mailbox.Maildir(mail_dir, create=False)
    return [m for m in box if m.get(DELIVERY_HEADER) in delivery_ids]


# ---------------------------------------------------------------------------------------------


async def test_pending_deliveries_leave_once_through_the_stack_smtp(
    db: asyncpg.Pool,
    notifications_dsn: str,
    renderer: MailRenderer,
    local_stack: StackEndpoints,
    running: list[tuple[MailSender, asyncio.Task[None]]],
) -> None:
    managers = [manager(1, "ko"), manager(2, "en"), manager(3, "ko"), manager(4, "en")]
    events = [
        await queue_enrollment(
            db,
            renderer,
            application_id=f"app-{n}",
            managers=managers,
            contact=founder("en" if n else "ko", f"founder{n}@startup.example.com"),
        )
        for n in range(3)
    ]
    queued = await rows(db)
    assert len(queued) == 15
    ids = {str(r["id"]) for r in queued}

    # Two senders (two replicas) over the same table: SKIP LOCKED shares the rows between them.
    for _ in range(2):
        start(
            running,
            make_sender(
                db, notifications_dsn, local_stack.smtp_host, local_stack.smtp_port, batch_size=4
            ),
        )
    await eventually(lambda: all_status("sent")(db), what="every delivery sent")
    await stop_all(running)
    # The capture stores a message before it answers DATA, and the senders have returned.
    messages = maildir_messages(local_stack.mail_dir, ids)
    assert sorted(m[DELIVERY_HEADER] for m in messages) == sorted(ids)  # each exactly once

    by_id = {r["id"]: r for r in await rows(db)}
    for message in messages:
        row = by_id[next(i for i in by_id if str(i) == message[DELIVERY_HEADER])]
        assert row["attempts"] == 1
        assert row["sent_at"] is not None
        assert row["last_error"] is None
        assert message["X-Envelope-To"] == row["recipient"]
        assert message["Message-ID"] == row["message_id"]
        assert message["X-AIHub-Template"] == row["template"]
        assert text_of(message["Subject"]) == row["subject"]
        assert text_of(message["To"]) == f"{row['recipient_name']} <{row['recipient']}>"
        assert text_of(message["From"]) == MAIL_FROM
        assert message.get_content_type() == "multipart/alternative"
        parts = [p.get_content_type() for p in message.get_payload()]  # type: ignore[union-attr]
        assert parts == ["text/plain", "text/html"]

    # One `email.sent` per delivery, in the outbox, keyed by delivery id, on the trace.
    sent = await sent_events(db)
    assert sorted(s["key"] for s in sent) == sorted(ids)
    correlation = {e.id: str(e.correlationid) for e in events}
    for item in sent:
        cloud_event = item["event"]
        data = cloud_event["data"]
        row = next(r for r in by_id.values() if str(r["id"]) == item["key"])
        assert cloud_event["type"] == contract("email.sent").type
        assert cloud_event["source"] == "/services/notifications"
        assert cloud_event["causationid"] == row["event_id"]
        assert cloud_event["correlationid"] == correlation[row["event_id"]]
        assert data["delivery_id"] == item["key"]
        assert data["caused_by_event_id"] == row["event_id"]
        assert data["template"] == row["template"]
        assert data["message_id"] == row["message_id"]
        assert "@" in data["recipient_masked"]
        assert data["recipient_masked"] != row["recipient"]
        assert data["recipient_masked"].startswith(row["recipient"][0] + "***@")
        assert item["headers"]["ce_correlationid"] == correlation[row["event_id"]].encode()


async def test_the_same_event_handled_twice_mails_once(
    db: asyncpg.Pool,
    notifications_dsn: str,
    renderer: MailRenderer,
    smtp: FaultySmtp,
    running: list[tuple[MailSender, asyncio.Task[None]]],
) -> None:
    server = smtp
    enrollment_event = await queue_enrollment(db, renderer, application_id="app-1")
    start(running, make_sender(db, notifications_dsn, server.host, server.port))
    await eventually(lambda: all_status("sent")(db), what="the deliveries sent")
    assert len(server.received) == 2

    # Replayed event (same id), e.g. from a dead-letter replay: the triple is taken already.
    await handle_in_transaction(
        db, enrollment_confirmed_handler(renderer), enrollment_event, enrollment()
    )
    await stop_all(running)
    assert len(await rows(db)) == 2
    sender = make_sender(db, notifications_dsn, server.host, server.port)
    assert (await sender.send_due()).claimed == 0  # nothing pending: nothing could leave again
    assert sorted(server.message_ids().values()) == [1, 1]


async def test_451_keeps_the_row_pending_then_it_leaves_once_the_server_recovers(
    db: asyncpg.Pool,
    notifications_dsn: str,
    renderer: MailRenderer,
    smtp: FaultySmtp,
    running: list[tuple[MailSender, asyncio.Task[None]]],
) -> None:
    server = smtp
    server.fail_rcpt = "451 4.7.1 Greylisted, please try again later"
    await queue_enrollment(db, renderer, application_id="app-1", managers=[])
    sender = make_sender(db, notifications_dsn, server.host, server.port)

    result = await sender.send_due()
    assert (result.claimed, result.sent, result.retried, result.failed) == (1, 0, 1, 0)
    (row,) = await rows(db)
    assert row["status"] == "pending"
    assert row["attempts"] == 1
    assert row["last_error"].startswith("451 4.7.1 Greylisted")
    assert row["next_attempt_at"] > datetime.now(UTC)  # backoff: not due yet
    assert row["sent_at"] is None
    assert server.received == []
    assert await sent_events(db) == []
    assert (await sender.send_due()).claimed == 0  # not before its time

    server.fail_rcpt = None
    start(running, sender)
    await eventually(lambda: all_status("sent")(db), what="the retried delivery sent")
    (row,) = await rows(db)
    assert row["attempts"] == 2
    assert row["last_error"] is None
    await stop_all(running)
    assert server.message_ids() == {row["message_id"]: 1}
    attempts = await db.fetch(
        "SELECT outcome, error FROM delivery_attempts WHERE delivery_id = $1 ORDER BY id",
        row["id"],
    )
    assert [a["outcome"] for a in attempts] == ["retry", "sent"]
    assert attempts[0]["error"].startswith("451 4.7.1")
    assert [s["key"] for s in await sent_events(db)] == [str(row["id"])]


async def test_550_marks_the_row_failed_and_never_retries(
    db: asyncpg.Pool,
    notifications_dsn: str,
    renderer: MailRenderer,
    smtp: FaultySmtp,
) -> None:
    server = smtp
    server.fail_rcpt = "550 5.1.1 <founder@startup.example.com>: Recipient address rejected"
    await queue_enrollment(db, renderer, application_id="app-1", managers=[])
    sender = make_sender(db, notifications_dsn, server.host, server.port)
    try:
        result = await sender.send_due()
        assert (result.sent, result.retried, result.failed) == (0, 0, 1)
        (row,) = await rows(db)
        assert row["status"] == "failed"
        assert row["attempts"] == 1
        assert row["failed_at"] is not None
        assert row["last_error"].startswith("550 5.1.1")
        assert "Recipient address rejected" in row["last_error"]

        server.fail_rcpt = None
        # Whatever backoff there might be, it is over now: still nothing to send.
        await db.execute("UPDATE deliveries SET next_attempt_at = now() - interval '1 day'")
        assert (await sender.send_due()).claimed == 0
        assert server.received == []
        (failed,) = await sent_events(db)
        assert failed["key"] == str(row["id"])
        assert failed["event"]["type"] == contract("email.failed").type
        data = failed["event"]["data"]
        assert data["attempts"] == 1
        assert data["reason"].startswith("550 5.1.1 <f***@startup.example.com>")
        assert "founder@" not in json.dumps(failed["event"])  # the address is masked
        assert data["recipient_masked"] == "f***@startup.example.com"
    finally:
        await sender.stop()
        await sender.run()  # returns at once when stopped; closes SMTP and the listener


async def test_one_bad_recipient_does_not_hold_up_the_batch_on_one_connection(
    db: asyncpg.Pool,
    notifications_dsn: str,
    renderer: MailRenderer,
    smtp: FaultySmtp,
) -> None:
    server = smtp
    server.fail_for["pm2@hub.example.com"] = "550 5.1.1 User unknown"
    await queue_enrollment(
        db, renderer, application_id="app-1", managers=[manager(n) for n in range(1, 5)]
    )
    sender = make_sender(db, notifications_dsn, server.host, server.port)
    result = await one_batch(sender)
    assert (result.claimed, result.sent, result.failed) == (5, 4, 1)
    statuses = {r["recipient"]: r["status"] for r in await rows(db)}
    assert statuses.pop("pm2@hub.example.com") == "failed"
    assert set(statuses.values()) == {"sent"}
    assert len(server.received) == 4
    assert len(server.connections) == 1  # one SMTP connection for the whole batch
    # Each row's event once, queued with its row: the mails sent before the refused one are
    # written (and their `email.sent` queued) together with its `email.failed`.
    ids = {r["recipient"]: str(r["id"]) for r in await rows(db)}
    events = [(e["key"], e["event"]["type"]) for e in await sent_events(db)]
    assert sorted(events) == sorted(
        (ids[recipient], contract("email.failed" if status == "failed" else "email.sent").type)
        for recipient, status in {**statuses, "pm2@hub.example.com": "failed"}.items()
    )


async def test_a_refused_connection_keeps_the_batch_pending_until_the_server_is_back(
    db: asyncpg.Pool,
    notifications_dsn: str,
    renderer: MailRenderer,
    running: list[tuple[MailSender, asyncio.Task[None]]],
) -> None:
    port = free_port()  # nothing listens here yet
    await queue_enrollment(db, renderer, application_id="app-1", managers=[manager(1), manager(2)])
    sender = make_sender(db, notifications_dsn, "127.0.0.1", port)

    result = await sender.send_due()
    assert result.server_unavailable
    assert (result.claimed, result.retried, result.sent) == (3, 1, 0)
    tried = [r for r in await rows(db) if r["attempts"]]
    assert len(tried) == 1  # the rest of the batch was released, not burnt
    assert tried[0]["status"] == "pending"
    assert "cannot use the SMTP server" in tried[0]["last_error"]
    assert all(r["status"] == "pending" for r in await rows(db))

    server = FaultySmtp(port)
    server.up()
    try:
        start(running, sender)
        await eventually(lambda: all_status("sent")(db), what="all sent after recovery")
        await stop_all(running)
        assert sorted(server.message_ids().values()) == [1, 1, 1]
    finally:
        server.down()


async def test_a_connection_dropped_mid_message_is_retried_and_arrives_once(
    db: asyncpg.Pool,
    notifications_dsn: str,
    renderer: MailRenderer,
    smtp: FaultySmtp,
    running: list[tuple[MailSender, asyncio.Task[None]]],
) -> None:
    smtp.drop_data = 2  # the first two messages: connection closed after their content
    await queue_enrollment(db, renderer, application_id="app-1", managers=[manager(1)])
    sender = make_sender(db, notifications_dsn, smtp.host, smtp.port)
    result = await sender.send_due()
    assert result.server_unavailable  # a dropped connection pauses the sender
    assert (result.retried, result.sent) == (1, 0)
    start(running, sender)
    await eventually(lambda: all_status("sent")(db), what="both sent after the drops")
    await stop_all(running)
    assert smtp.dropped == 2
    assert sorted(smtp.message_ids().values()) == [1, 1]
    outcomes = await db.fetch(
        "SELECT outcome, count(*) AS n FROM delivery_attempts GROUP BY outcome ORDER BY outcome"
    )
    assert {r["outcome"]: r["n"] for r in outcomes} == {"retry": 2, "sent": 2}


async def test_stop_returns_promptly_and_closes_the_connection(
    db: asyncpg.Pool,
    notifications_dsn: str,
    renderer: MailRenderer,
    smtp: FaultySmtp,
) -> None:
    server = smtp
    transport = SmtpTransport(SmtpConfig(host=server.host, port=server.port))
    sender = MailSender(
        db,
        Wakeup(notifications_dsn, WAKEUP_CHANNEL, poll_interval=30),  # only NOTIFY wakes it
        transport,
        SenderConfig(mail_from=MAIL_FROM),
    )
    task = asyncio.create_task(sender.run())

    async def listening() -> bool:
        return bool(
            await db.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE query = $1",
                f'LISTEN "{WAKEUP_CHANNEL}"',
            )
        )

    await eventually(listening, what="the sender listening")
    await queue_enrollment(db, renderer, application_id="app-1", managers=[])
    await eventually(lambda: all_status("sent")(db), what="sent on NOTIFY, long before the poll")
    assert connected(transport)
    await sender.stop()
    await asyncio.wait_for(task, timeout=2)
    assert not connected(transport)
    assert len(server.received) == 1


async def test_a_server_that_does_not_answer_in_time_keeps_the_mail_pending(
    db: asyncpg.Pool, notifications_dsn: str, renderer: MailRenderer, smtp: FaultySmtp
) -> None:
    smtp.stall_rcpt = 3.0  # longer than the client's 1 s per command
    await queue_enrollment(db, renderer, application_id="app-1", managers=[])
    config = SmtpConfig(host=smtp.host, port=smtp.port, timeout_seconds=1)
    sender = make_sender(db, notifications_dsn, smtp.host, smtp.port, smtp=config)
    try:
        result = await sender.send_due()
        assert result.server_unavailable
        (row,) = await rows(db)
        assert (row["status"], row["attempts"]) == ("pending", 1)
        assert "Timeout" in row["last_error"]

        smtp.stall_rcpt = 0.0
        await db.execute("UPDATE deliveries SET next_attempt_at = now()")
        assert (await sender.send_due()).sent == 1
    finally:
        await sender.stop()
        await sender.run()
    assert smtp.message_ids() == {row["message_id"]: 1}


@pytest.fixture
def tls_context(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A self-signed certificate for 127.0.0.1: the server's context and the CA file."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert


async def test_starttls_and_login_when_configured(
    db: asyncpg.Pool,
    notifications_dsn: str,
    renderer: MailRenderer,
    tls_context: tuple[ssl.SSLContext, Path],
) -> None:
    context, ca_file = tls_context
    server = FaultySmtp(tls_context=context, credentials=("mailer", "s3cret"))
    server.up()
    await queue_enrollment(db, renderer, application_id="app-1", managers=[])

    def sender_with(password: str, *, starttls: bool = True) -> MailSender:
        config = SmtpConfig(
            host=server.host,
            port=server.port,
            username="mailer",
            password=password,
            starttls=starttls,
            ca_file=str(ca_file),
            timeout_seconds=5,
        )
        return make_sender(db, notifications_dsn, server.host, server.port, smtp=config)

    try:
        # A wrong password or no STARTTLS is our configuration's fault, not the mail's: pending.
        for wrong in (sender_with("wrong"), sender_with("s3cret", starttls=False)):
            result = await one_batch(wrong)
            assert result.server_unavailable
            await db.execute("UPDATE deliveries SET next_attempt_at = now()")
        (row,) = await rows(db)
        assert (row["status"], row["attempts"]) == ("pending", 2)

        assert (await one_batch(sender_with("s3cret"))).sent == 1
    finally:
        server.down()
    assert server.authenticated == ["mailer"]
    assert server.message_ids() == {row["message_id"]: 1}


async def test_logs_hold_no_address_and_no_applicant_name(
    db: asyncpg.Pool, notifications_dsn: str, renderer: MailRenderer, smtp: FaultySmtp
) -> None:
    smtp.fail_for["pm1@hub.example.com"] = "550 5.1.1 <pm1@hub.example.com> unknown"
    smtp.fail_for["founder@startup.example.com"] = "451 4.7.1 <founder@startup.example.com> later"
    with structlog.testing.capture_logs() as logs:
        await queue_enrollment(db, renderer, application_id="app-1", managers=[manager(1)])
        sender = make_sender(db, notifications_dsn, smtp.host, smtp.port)
        result = await one_batch(sender)
    assert (result.failed, result.retried) == (1, 1)
    text = json.dumps(logs, default=str)
    assert "e-mail failed permanently" in text
    for secret in ("pm1@hub.example.com", "founder@startup.example.com", "Jane Park", "매니저 1"):
        assert secret not in text
    assert "f***@startup.example.com" in text


def raw_message(message_id: str, body: str) -> bytes:
    return (
        "From: no-reply@seoulaihub.kr\r\nTo: someone@example.org\r\nSubject: offered\r\n"
        f"Message-ID: {message_id}\r\n\r\n{body}"
    ).encode("ascii")


async def test_an_offered_message_arrives_only_when_handed_over(smtp: FaultySmtp) -> None:
    """The server holds an offered message (envelope, DATA, all its content) without taking it:
    withdrawn, it never arrives, and the next one leaves over a new connection; handed over,
    it arrives exactly as written, a line starting with a period included."""
    transport = SmtpTransport(SmtpConfig(host=smtp.host, port=smtp.port, timeout_seconds=5))
    sender = "no-reply@seoulaihub.kr"
    body = ".a line starting with a period\r\nand the last line\r\n"
    try:
        await transport.offer(
            raw_message("<withdrawn@test>", body), sender=sender, recipient="a@example.org"
        )
        await transport.withdraw()
        assert not connected(transport)
        await transport.offer(
            raw_message("<handed-over@test>", body), sender=sender, recipient="a@example.org"
        )
        assert smtp.received == []  # held, not taken, until the end of its data
        await transport.hand_over()
    finally:
        await transport.close()  # QUIT answered: what the server holds is final
    assert smtp.message_ids() == {"<handed-over@test>": 1}
    (arrived,) = smtp.received
    assert arrived.get_content() == body
