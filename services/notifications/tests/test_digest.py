"""The daily digest: its composition as a pure function, its schedule in Seoul time with an
injected clock, and once per day on the real Postgres whatever the restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta, timezone

import asyncpg
import pytest

from aihub_local.testing import eventually
from aihub_notifications.adapters import directory, repository
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.digest import (
    CohortFigures,
    compose_digest,
    digest_day,
    due_day,
    next_run_at,
)
from aihub_notifications.domain.mails import DAILY_DIGEST_MANAGER
from aihub_notifications.domain.seoul import SEOUL
from aihub_notifications.domain.staff import MailKind, Subscription
from aihub_notifications.service_layer.digest import DigestScheduler
from aihub_notifications.service_layer.mailing import lifecycle_handlers
from aihub_notifications.service_layer.replicas import replicate_cohort
from aihub_shared.contracts.applications import ReviewAssigned, ReviewerRef
from services.notifications.tests.conftest import (
    application_received,
    cohort_published,
    event,
    founder,
    handle,
    manager,
)

EIGHT = time(8, 0)


def figures(cohort: str, new: int, pending: int, seats: int | None, taken: int) -> CohortFigures:
    return CohortFigures(
        "cyber-valley", "사이버밸리", "Cyber Valley", cohort, new, pending, seats, taken
    )


def test_the_digest_sums_up_every_cohort_of_the_manager_in_their_language() -> None:
    request = compose_digest(
        manager(1, "en"),
        [figures("cv-2", 1, 0, None, 0), figures("cv-1", 3, 5, 3, 2)],
        date(2027, 2, 10),
    )
    assert request is not None
    assert request.template == DAILY_DIGEST_MANAGER
    assert request.program_code == "cyber-valley"
    context = request.context
    assert (context["new_applications"], context["pending_reviews"]) == (4, 5)
    assert [(c["cohort_code"], c["seats_left"]) for c in context["cohorts"]] == [
        ("cv-1", 1),
        ("cv-2", None),
    ]
    assert {c["program_name"] for c in context["cohorts"]} == {"Cyber Valley"}
    assert context["day"] == "2027-02-10"


def test_no_cohort_no_digest_and_seats_never_go_negative() -> None:
    assert compose_digest(manager(1), [], date(2027, 2, 10)) is None
    assert figures("cv-1", 0, 0, 2, 5).seats_left == 0


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 07:59 in Seoul (22:59 UTC the day before): today at 08:00.
        (datetime(2027, 2, 9, 22, 59, tzinfo=UTC), datetime(2027, 2, 9, 23, 0, tzinfo=UTC)),
        # 08:00 exactly has run: tomorrow.
        (datetime(2027, 2, 9, 23, 0, tzinfo=UTC), datetime(2027, 2, 10, 23, 0, tzinfo=UTC)),
        # 15:00 UTC is midnight in Seoul: the same Seoul day's 08:00.
        (datetime(2027, 2, 10, 15, 0, tzinfo=UTC), datetime(2027, 2, 10, 23, 0, tzinfo=UTC)),
    ],
)
def test_the_next_run_is_at_the_set_time_in_seoul(now: datetime, expected: datetime) -> None:
    assert next_run_at(now, EIGHT) == expected


def test_the_due_day_is_the_seoul_day_once_the_time_has_come() -> None:
    assert due_day(datetime(2027, 2, 9, 22, 59, tzinfo=UTC), EIGHT) is None
    assert due_day(datetime(2027, 2, 9, 23, 0, tzinfo=UTC), EIGHT) == date(2027, 2, 10)
    assert digest_day(datetime(2027, 2, 9, 23, 0, tzinfo=UTC)) == date(2027, 2, 10)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.integration
async def test_the_scheduler_runs_once_a_day_at_its_time(
    db: asyncpg.Pool, renderer: MailRenderer
) -> None:
    published = cohort_published(managers=[manager(1, "ko"), manager(2, "en")])
    await handle(db, replicate_cohort, event("cohort.published", published), published)
    handlers = lifecycle_handlers(renderer)
    seoul_morning = datetime(2027, 2, 9, 23, 0, tzinfo=UTC)  # 08:00 on 10 Feb in Seoul
    for n, hours_ago in enumerate((2, 5, 30)):  # two within the last 24 hours, one older
        received = application_received(f"app-{n}", contact=founder(email=f"f{n}@s.example.com"))
        await handle(
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
    await handle(db, handlers["review.assigned"], event("review.assigned", assigned), assigned)
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
        await repository.update_seats_taken(
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


def test_seoul_without_a_time_zone_database_is_the_same_clock() -> None:
    fixed = timezone(timedelta(hours=9), "KST")
    for moment in (datetime(1990, 7, 1, 12, tzinfo=UTC), datetime(2027, 1, 1, 0, tzinfo=UTC)):
        assert moment.astimezone(SEOUL).utcoffset() == moment.astimezone(fixed).utcoffset()
