"""`SMTP_CONNECTIONS` senders in one instance, on the real Postgres and a real SMTP server: they
share the pending deliveries as replicas do, so each mail leaves once, with one attempt record,
one `email.sent` event and its stable Message-ID, while the connections work side by side."""

from __future__ import annotations

import asyncio
from collections import Counter

import asyncpg
import pytest

from aihub_local.faulty_smtp import FaultySmtp
from aihub_local.testing import eventually
from aihub_notifications.adapters.smtp import SmtpConfig
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.service_layer.sender import SenderConfig, mail_senders
from aihub_shared.runtime.wakeup import Wakeup
from services.notifications.tests.support import (
    MAIL_FROM,
    WAKEUP_CHANNEL,
    manager,
    queue_enrollment,
)

pytestmark = pytest.mark.integration

CONNECTIONS = 3


async def test_parallel_connections_send_each_mail_once(
    db: asyncpg.Pool, notifications_dsn: str, renderer: MailRenderer, smtp: FaultySmtp
) -> None:
    for n in range(8):
        await queue_enrollment(
            db, renderer, application_id=f"app-{n}", managers=[manager(m) for m in range(1, 4)]
        )
    queued = await db.fetch("SELECT id, message_id FROM deliveries")
    assert len(queued) == 32  # 8 founders, 3 managers each time
    senders = mail_senders(
        db,
        lambda: Wakeup(notifications_dsn, WAKEUP_CHANNEL, poll_interval=0.1),
        SmtpConfig(host=smtp.host, port=smtp.port, timeout_seconds=5),
        # Small batches, so that every sender gets some of the rows.
        SenderConfig(mail_from=MAIL_FROM, batch_size=2),
        connections=CONNECTIONS,
    )
    tasks = [asyncio.create_task(sender.run()) for sender in senders]
    try:

        async def all_sent() -> bool:
            return bool(await db.fetchval("SELECT bool_and(status = 'sent') FROM deliveries"))

        await eventually(all_sent, what="every delivery sent")
    finally:
        for sender in senders:
            await sender.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)

    # Nothing can leave any more: what the server holds is final.
    assert smtp.message_ids() == Counter({row["message_id"]: 1 for row in queued})
    assert len(smtp.connections) > 1  # the connections did share the work
    attempts = await db.fetch("SELECT delivery_id, outcome FROM delivery_attempts")
    assert sorted(a["delivery_id"] for a in attempts) == sorted(row["id"] for row in queued)
    assert {a["outcome"] for a in attempts} == {"sent"}
    events = await db.fetchval(
        "SELECT count(DISTINCT event_id) FROM outbox WHERE topic = 'notifications.deliveries'"
    )
    assert events == len(queued)
