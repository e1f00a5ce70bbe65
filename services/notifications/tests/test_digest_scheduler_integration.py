"""The daily digest's scheduler with an injected clock: once per day on the real Postgres,
whatever the restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import asyncpg
import pytest

from aihub_local.testing import eventually, handle_in_transaction
from aihub_notifications.adapters import directory, replicas
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.mails import DAILY_DIGEST_MANAGER
from aihub_notifications.domain.staff import MailKind, Subscription
from aihub_notifications.service_layer.digest import DigestScheduler
from aihub_notifications.service_layer.lifecycle import lifecycle_handlers
from aihub_notifications.service_layer.replicas import replicate_cohort
from aihub_shared.contracts.applications import ReviewAssigned, ReviewerRef
from services.notifications.tests.support import (
    application_received,
    cohort_published,
    event,
    founder,
    manager,
)

pytestmark = pytest.mark.integration

EIGHT = time(8, 0)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_the_scheduler_runs_once_a_day_at_its_time(
    db: asyncpg.Pool, renderer: MailRenderer
) -> None:
    published = cohort_published(managers=[manager(1, "ko"), manager(2, "en")])
    await handle_in_transaction(
        db, replicate_cohort, event("cohort.published", published), published
    )
    handlers = lifecycle_handlers(renderer)
    seoul_morning = datetime(2027, 2, 9, 23, 0, tzinfo=UTC)  # 08:00 on 10 Feb in Seoul
    for n, hours_ago in enumerate((2, 5, 30)):  # two within the last 24 hours, one older
        received = application_received(f"app-{n}", contact=founder(email=f"f{n}@s.example.com"))
        await handle_in_transaction(
            db,
            handlers["application.received"],
            event(
                "application.received", received, time=seoul_morning - timedelta(hours=hours_ago)
            ),
            received,
        )
    assigned = ReviewAssigned(
        application_id="app-0",
        program_code="cyber-valley",
        cohort_code="cv-2027-1",
        startup_name="Deep Harbor AI",
        stage_code="document-review",
        reviewer=ReviewerRef(id="reviewer@hub.example.com", name="심사위원"),
    )
    await handle_in_transaction(
        db, handlers["review.assigned"], event("review.assigned", assigned), assigned
    )
    async with db.acquire() as conn:
        # pm2 opted out of the digest; an ops member subscribed to it for every program.
        await directory.upsert_staff(
            conn,
            email="pm2@hub.example.com",
            name="PM 2",
            locale="en",
            role="program_manager",
            active=True,
        )
        await directory.replace_subscriptions(
            conn, "pm2@hub.example.com", [Subscription(MailKind.DECISION, "cyber-valley")]
        )
        await directory.upsert_staff(
            conn,
            email="watcher@hub.example.com",
            name="Watcher",
            locale="en",
            role="ops",
            active=True,
        )
        await directory.replace_subscriptions(
            conn, "watcher@hub.example.com", [Subscription(MailKind.DAILY_DIGEST)]
        )
        await replicas.update_seats_taken(
            conn, "cv-2027-1", seats=3, seats_taken=1, event_time=seoul_morning
        )

    clock = FakeClock(seoul_morning - timedelta(minutes=1))
    scheduler = DigestScheduler(db, renderer, at=EIGHT, clock=clock)
    async with db.acquire() as conn:
        managers = await conn.fetchval("SELECT program_managers FROM cohorts")
        await conn.execute("UPDATE cohorts SET program_managers = '[]'")
        await conn.execute(
            "DELETE FROM subscriptions WHERE staff_email = 'watcher@hub.example.com'"
        )
    clock.now = seoul_morning
    assert await scheduler.tick() == 0  # nobody to write to: the day stays open
    async with db.acquire() as conn:
        await conn.execute("UPDATE cohorts SET program_managers = $1", managers)
        await directory.replace_subscriptions(
            conn, "watcher@hub.example.com", [Subscription(MailKind.DAILY_DIGEST)]
        )
    clock.now = seoul_morning - timedelta(minutes=1)
    assert await scheduler.tick() is None  # 07:59: not yet
    assert scheduler.seconds_until_next() == 60

    clock.now = seoul_morning
    assert await scheduler.tick() == 2
    digests = await db.fetch(
        "SELECT recipient, subject, body_text FROM deliveries WHERE template = $1"
        " ORDER BY recipient",
        DAILY_DIGEST_MANAGER,
    )
    assert [d["recipient"] for d in digests] == ["pm1@hub.example.com", "watcher@hub.example.com"]
    assert digests[0]["subject"] == "[서울AI허브] 일일 요약 2027-02-10: 새 신청 2건, 심사 대기 1건"
    assert "잔여 좌석 2/3석" in digests[0]["body_text"]

    # Later the same day, or after a restart (a new scheduler): nothing more.
    clock.now = seoul_morning + timedelta(hours=3)
    assert await scheduler.tick() is None
    assert await DigestScheduler(db, renderer, at=EIGHT, clock=clock).tick() is None
    # The next morning: the next digest.
    clock.now = seoul_morning + timedelta(days=1)
    assert await scheduler.tick() == 2
    assert (
        await db.fetchval(
            "SELECT count(*) FROM deliveries WHERE template = $1", DAILY_DIGEST_MANAGER
        )
        == 4
    )

    # The worker itself: after its start-up grace it runs the due day, then sleeps until the next.
    clock.now = seoul_morning + timedelta(days=2, hours=1)
    worker = DigestScheduler(db, renderer, at=EIGHT, clock=clock, startup_delay_seconds=0)
    task = asyncio.create_task(worker.run())

    async def third_day() -> bool:
        return bool(await db.fetchval("SELECT count(*) FROM digest_runs") == 3)

    try:
        await eventually(third_day, what="the third day's digest")
        assert worker.seconds_until_next() == 300  # capped: 22 h away, checked every 5 min
    finally:
        await worker.stop()
        await asyncio.wait_for(task, timeout=5)
