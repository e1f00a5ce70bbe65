"""kill -9 of the mail sender at every moment around an SMTP conversation, then a restart.

Outside the SMTP transaction (after claiming, after the attempt is recorded but before the first
command, after an attempt is closed as sent but before its row is, after the rows are marked
sent) nobody gets a mail twice. Inside it — the server took the
message, the row is not marked yet — the one message in flight is sent again with the same
Message-ID (so the receiving system can drop it), its attempt is recorded as interrupted and the
`emails_possible_duplicates_total` metric counts it.

The sender runs as its own OS process (`sender_process.py`); the failpoint kills it with SIGKILL.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from prometheus_client import REGISTRY

from aihub_local.faulty_smtp import FaultySmtp
from aihub_local.processes import ManagedProcess
from aihub_local.testing import eventually
from aihub_notifications.adapters.templates import MailRenderer
from services.notifications.tests.support import (
    PAUSE_MAX_SECONDS,
    RETRY_MAX_SECONDS,
    crash_test_process,
    killed,
    make_sender,
    manager,
    one_batch,
    queue_enrollment,
)

pytestmark = pytest.mark.integration

OUTAGE_WAVE_SECONDS = RETRY_MAX_SECONDS + PAUSE_MAX_SECONDS + 0.5


def sender_process(
    dsn: str, smtp: FaultySmtp, log_file: Path, failpoint: str | None = None
) -> ManagedProcess:
    return crash_test_process("sender_process", dsn, smtp, log_file, failpoint)


async def all_sent(db: asyncpg.Pool) -> bool:
    return bool(await db.fetchval("SELECT bool_and(status = 'sent') FROM deliveries"))


@pytest.mark.parametrize(
    "failpoint",
    [
        "mail:after-claim",
        "mail:before-smtp",
        "mail:after-sent-attempt",
        "mail:after-mark",
        "mail:after-smtp",
    ],
)
async def test_kill_9_then_restart_sends_each_mail_once(
    db: asyncpg.Pool,
    notifications_dsn: str,
    renderer: MailRenderer,
    smtp: FaultySmtp,
    tmp_path: Path,
    failpoint: str,
) -> None:
    await queue_enrollment(
        db, renderer, application_id="app-1", managers=[manager(n) for n in range(1, 6)]
    )
    expected = {r["message_id"] for r in await db.fetch("SELECT message_id FROM deliveries")}
    assert len(expected) == 6
    log = tmp_path / "sender.log"

    crashing = sender_process(notifications_dsn, smtp, log, failpoint)
    try:
        assert await killed(crashing) == -9
    finally:
        crashing.terminate()
    restarted = sender_process(notifications_dsn, smtp, log)
    try:
        await eventually(lambda: all_sent(db), what="every delivery sent after the restart")
    finally:
        assert restarted.terminate() == 0  # SIGTERM: finishes in-flight work, exits cleanly
    # The sender has exited: what the server holds is final.

    arrived = smtp.message_ids()
    assert set(arrived) == expected
    interrupted = await db.fetch(
        "SELECT d.message_id FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id"
        " WHERE a.outcome = 'interrupted'"
    )
    if failpoint == "mail:after-smtp":
        # Inside the SMTP transaction: exactly the message in flight came twice, same Message-ID.
        (twice,) = [mid for mid, n in arrived.items() if n == 2]
        assert [r["message_id"] for r in interrupted] == [twice]
        assert sorted(arrived.values()) == [1, 1, 1, 1, 1, 2]
    else:
        assert sorted(arrived.values()) == [1] * 6, arrived
        # A crash after the attempt was recorded (before SMTP) leaves it open: counted as a
        # possible duplicate, though the server never saw the message. After the previous
        # mail's attempt was closed as sent but before its row was written, that mail is only
        # marked sent after the restart, never sent again.
        opened = failpoint in ("mail:before-smtp", "mail:after-sent-attempt")
        assert len(interrupted) == (1 if opened else 0)
    assert await db.fetchval("SELECT count(*) FROM deliveries WHERE attempts < 1") == 0
    sent_events = await db.fetchval(
        "SELECT count(*) FROM outbox WHERE event_type LIKE '%email.sent%'"
    )
    assert sent_events == 6  # one email.sent per delivery, whatever the crash


async def test_an_interrupted_attempt_is_counted_as_a_possible_duplicate(
    db: asyncpg.Pool, notifications_dsn: str, renderer: MailRenderer, smtp: FaultySmtp
) -> None:
    await queue_enrollment(db, renderer, application_id="app-1", managers=[])
    (delivery,) = await db.fetch("SELECT id, template, message_id FROM deliveries")
    # What a crash inside the SMTP conversation leaves: an attempt that never got its outcome.
    await db.execute("INSERT INTO delivery_attempts (delivery_id) VALUES ($1)", delivery["id"])

    def counted() -> float:
        value = REGISTRY.get_sample_value(
            "emails_possible_duplicates_total", {"template": delivery["template"]}
        )
        return value or 0.0

    before = counted()
    sender = make_sender(db, notifications_dsn, smtp.host, smtp.port)
    assert (await one_batch(sender)).sent == 1
    assert counted() == before + 1
    outcomes = await db.fetch(
        "SELECT outcome FROM delivery_attempts WHERE delivery_id = $1 ORDER BY id", delivery["id"]
    )
    assert [r["outcome"] for r in outcomes] == ["interrupted", "sent"]
    assert smtp.message_ids() == {delivery["message_id"]: 1}


async def test_an_outage_ends_with_every_pending_mail_delivered_once(
    db: asyncpg.Pool, notifications_dsn: str, renderer: MailRenderer
) -> None:
    """The server is down while mails keep being queued, long enough for every mail to be tried
    again and again at the longest backoff; none is given up, and when it is back each leaves
    exactly once."""
    server = FaultySmtp()  # down: connections are refused
    sender = make_sender(db, notifications_dsn, server.host, server.port, batch_size=5)
    task = asyncio.create_task(sender.run())
    try:
        for wave in range(3):
            await queue_enrollment(
                db,
                renderer,
                application_id=f"app-{wave}",
                managers=[manager(n) for n in range(1, 4)],
            )
            # The outage goes on; this wait proves nothing is given up, so it stays, as short as
            # the sender's configuration allows: longer than its longest backoff plus its
            # longest pause, every pending mail is due and tried again within it.
            await asyncio.sleep(OUTAGE_WAVE_SECONDS)
            statuses = await db.fetch("SELECT status, count(*) FROM deliveries GROUP BY status")
            assert [tuple(r) for r in statuses] == [("pending", 4 * (wave + 1))]
        tried = await db.fetchval("SELECT count(*) FROM delivery_attempts")
        assert tried >= 3  # the sender kept trying (with its pause), never gave a mail up
        assert await db.fetchval("SELECT count(*) FROM deliveries WHERE status = 'failed'") == 0

        server.up()
        await eventually(lambda: all_sent(db), within=120, what="every mail after the outage")
    finally:
        await sender.stop()
        await asyncio.wait_for(task, timeout=10)
        server.down()
    expected = {r["message_id"] for r in await db.fetch("SELECT message_id FROM deliveries")}
    assert len(expected) == 12
    assert server.message_ids() == dict.fromkeys(expected, 1)
