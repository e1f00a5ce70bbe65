"""kill -9 of the reminder worker, then a restart: nothing lost, nothing doubled but the one
message in flight.

The reminder worker and the mail sender run together in their own OS process
(`reminder_process.py`), as the service runs them, with the real clock, Postgres and an SMTP
server; a failpoint kills the process with SIGKILL. Between a reminder's commit and its SMTP
send (`reminder:after-commit`, the server kept down meanwhile so that nothing can leave before
the kill) the restarted worker does not remind again and the sender sends the mail once. Inside
the SMTP transaction (`mail:after-smtp`) exactly the one message in flight comes twice, under the
same Message-ID.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from pydantic import BaseModel

from aihub_local.faulty_smtp import FaultySmtp
from aihub_local.processes import ManagedProcess
from aihub_local.testing import eventually, handle_in_transaction
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.reminders import REVIEW_REMINDER_REVIEWER
from aihub_notifications.service_layer.lifecycle import lifecycle_handlers
from aihub_notifications.service_layer.replicas import replicate_cohort
from aihub_shared.contracts.applications import ReviewAssigned, ReviewerRef
from services.notifications.tests.support import (
    STARTUP,
    application_received,
    cohort_published,
    crash_test_process,
    event,
    killed,
)

pytestmark = pytest.mark.integration

REVIEWERS = [
    ReviewerRef(id=f"reviewer-{n}@hub.example.com", name=f"심사위원 {n}") for n in (1, 2, 3)
]


def reminder_process(
    dsn: str, smtp: FaultySmtp, log_file: Path, failpoint: str | None = None
) -> ManagedProcess:
    settings = {
        "MAIL_BATCH_SIZE": "2",
        "REVIEW_REMINDER_OFFSETS": "48h",
        "REVIEW_REMINDER_POLL_SECONDS": "0.2",
    }
    return crash_test_process("reminder_process", dsn, smtp, log_file, failpoint, settings)


async def three_reviews_due_in_47_hours(db: asyncpg.Pool, renderer: MailRenderer) -> None:
    """Assigned two hours ago, due in 47 hours: each 48-hour reminder has fallen due."""
    handlers = lifecycle_handlers(renderer)

    async def handle(name: str, data: BaseModel, at: datetime | None = None) -> None:
        handler = handlers.get(name, replicate_cohort)
        await handle_in_transaction(db, handler, event(name, data, time=at), data)

    now = datetime.now(UTC)
    await handle("cohort.published", cohort_published())
    await handle("application.received", application_received("app-k"))
    for reviewer in REVIEWERS:
        assigned = ReviewAssigned(
            application_id="app-k",
            program_code="cyber-valley",
            cohort_code="cv-2027-1",
            startup_name=STARTUP,
            stage_code="document-review",
            reviewer=reviewer,
            due_at=now + timedelta(hours=47),
        )
        await handle("review.assigned", assigned, at=now - timedelta(hours=2))
    await db.execute("DELETE FROM deliveries")  # the other mails: not what is tested here


async def reminders_all_sent(db: asyncpg.Pool) -> bool:
    statuses = await db.fetch(
        "SELECT status FROM deliveries WHERE template = $1", REVIEW_REMINDER_REVIEWER
    )
    return len(statuses) == len(REVIEWERS) and all(r["status"] == "sent" for r in statuses)


@pytest.mark.parametrize("failpoint", ["reminder:after-commit", "mail:after-smtp"])
async def test_kill_9_of_the_reminder_worker_repeats_at_most_the_mail_in_flight(
    db: asyncpg.Pool,
    notifications_dsn: str,
    renderer: MailRenderer,
    smtp: FaultySmtp,
    tmp_path: Path,
    failpoint: str,
) -> None:
    await three_reviews_due_in_47_hours(db, renderer)
    log = tmp_path / "reminders.log"
    between_commit_and_send = failpoint == "reminder:after-commit"
    if between_commit_and_send:
        smtp.down()  # no mail can leave before the kill: the kill is before any send

    crashing = reminder_process(notifications_dsn, smtp, log, failpoint)
    try:
        assert await killed(crashing) == -9
    finally:
        crashing.terminate()
    if between_commit_and_send:
        # The first reminder committed — its key, its mail queued, its `reminder.sent` — and
        # nothing sent.
        assert await db.fetchval("SELECT count(*) FROM review_reminders") == 1
        queued = await db.fetch("SELECT status FROM deliveries")
        assert [r["status"] for r in queued] == ["pending"]
        assert smtp.message_ids() == {}
        smtp.up()

    restarted = reminder_process(notifications_dsn, smtp, log)
    try:
        await eventually(lambda: reminders_all_sent(db), what="every reminder sent after restart")
    finally:
        assert restarted.terminate() == 0  # SIGTERM: finishes in-flight work, exits cleanly
    # The process has exited: what the server holds is final.

    # Nothing lost, no reviewer reminded twice: one key, one delivery, one fact per reminder.
    assert await db.fetchval("SELECT count(*) FROM review_reminders") == len(REVIEWERS)
    rows = await db.fetch("SELECT recipient, message_id FROM deliveries")
    assert sorted(r["recipient"] for r in rows) == sorted(str(r.id) for r in REVIEWERS)
    facts = await db.fetchval("SELECT count(*) FROM outbox WHERE event_type LIKE '%reminder.sent%'")
    assert facts == len(REVIEWERS)
    arrived = smtp.message_ids()
    assert set(arrived) == {r["message_id"] for r in rows}
    interrupted = await db.fetch(
        "SELECT d.message_id FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id"
        " WHERE a.outcome = 'interrupted'"
    )
    if between_commit_and_send:
        assert sorted(arrived.values()) == [1, 1, 1], arrived
        assert interrupted == []
    else:
        # Inside the SMTP transaction: exactly the message in flight came twice, same Message-ID.
        (twice,) = [mid for mid, n in arrived.items() if n == 2]
        assert [r["message_id"] for r in interrupted] == [twice]
        assert sorted(arrived.values()) == [1, 1, 2]
