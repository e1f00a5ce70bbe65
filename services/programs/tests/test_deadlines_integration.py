"""The agreement-deadline worker's use cases on the real Postgres: unsigned agreements past their
deadline free their seat once (two workers at once), a signature after the deadline loses, and
an ended cohort's waitlist is closed once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from aihub_local.testing import eventually
from aihub_programs.domain.cancellation_reasons import COHORT_ENDED
from aihub_programs.domain.cohort_calendar import SEOUL
from aihub_programs.service_layer import deadlines, enrollment
from aihub_programs.service_layer.deadlines import AgreementDeadlines
from aihub_programs.service_layer.enrollment import EnrollmentConflict
from services.programs.tests.support import (
    ADMIN_STAFF,
    accept,
    enrollment_events,
    make_cohort,
    queued,
    withdraw,
)

pytestmark = pytest.mark.integration


async def test_passed_agreement_deadlines_free_the_seat_once(db: asyncpg.Pool) -> None:
    await make_cohort(db, seats=1)
    await accept(db, "late", rank=1)
    await accept(db, "next", rank=2)
    past = datetime.now(UTC) - timedelta(minutes=1)
    await db.execute(
        "UPDATE enrollments SET agreement_due_at = $1 WHERE application_id = 'late'", past
    )
    # Two instances' workers at once: the cohort lock and the re-check make it happen once.
    results = await asyncio.gather(
        deadlines.expire_due_agreements(db), deadlines.expire_due_agreements(db)
    )
    assert sum(results) == 1
    assert (await enrollment_events(db))[-2:] == [
        ("enrollment.cancelled", "late"),
        ("enrollment.promoted", "next"),
    ]
    cancelled = [e for e in await queued(db) if e["name"] == "enrollment.cancelled"]
    assert cancelled[0]["data"]["reason"] == "agreement deadline passed"
    assert await deadlines.expire_due_agreements(db) == 0


async def test_signing_after_the_deadline_loses_to_the_worker_whoever_runs_first(
    db: asyncpg.Pool,
) -> None:
    await make_cohort(db, seats=1)
    await accept(db, "late", rank=1)
    await accept(db, "next", rank=2)
    await db.execute(
        "UPDATE enrollments SET agreement_due_at = now() - interval '1 second'"
        " WHERE application_id = 'late'"
    )
    # The worker has not run yet: the signature still comes too late.
    with pytest.raises(EnrollmentConflict, match="deadline passed"):
        await enrollment.sign_agreement(db, "late", staff=ADMIN_STAFF)
    assert await deadlines.expire_due_agreements(db) == 1
    assert (await enrollment_events(db))[-2:] == [
        ("enrollment.cancelled", "late"),
        ("enrollment.promoted", "next"),
    ]


async def test_the_deadline_worker_runs_until_stopped(db: asyncpg.Pool) -> None:
    await make_cohort(db, seats=1)
    await accept(db, "late", rank=1)
    await accept(db, "next", rank=2)
    worker = AgreementDeadlines(db, interval=0.05)
    task = asyncio.create_task(worker.run())
    try:
        await db.execute(
            "UPDATE enrollments SET agreement_due_at = now() - interval '1 second'"
            " WHERE application_id = 'late'"
        )

        async def promoted() -> bool:
            return ("enrollment.promoted", "next") in await enrollment_events(db)

        await eventually(promoted, within=10, what="the worker to free the seat")
    finally:
        await worker.stop()
        await asyncio.wait_for(task, timeout=5)
    assert task.done()
    assert not task.cancelled()


async def test_an_ended_cohort_promotes_nobody_and_its_waitlist_is_closed(
    db: asyncpg.Pool,
) -> None:
    await make_cohort(db, seats=1)
    for rank, app in enumerate(["a", "b", "c"], start=1):
        await accept(db, app, rank=rank)
    today = datetime.now(SEOUL).date()
    # Running (started a month ago, its last day is today in Seoul): late promotion is allowed.
    await db.execute(
        "UPDATE cohorts SET starts_on = $1, ends_on = $2", today - timedelta(days=30), today
    )
    assert await deadlines.close_ended_cohorts(db) == 0
    await db.execute(
        "UPDATE enrollments SET agreement_due_at = now() - interval '1 second'"
        " WHERE application_id = 'a'"
    )
    assert await deadlines.expire_due_agreements(db) == 1
    assert (await enrollment_events(db))[-2:] == [
        ("enrollment.cancelled", "a"),
        ("enrollment.promoted", "b"),
    ]

    # Ended (its last day was yesterday): the deadline worker closes the waitlist, once.
    await db.execute("UPDATE cohorts SET ends_on = $1", today - timedelta(days=1))
    worker = AgreementDeadlines(db, interval=0.05)
    task = asyncio.create_task(worker.run())
    try:

        async def closed() -> bool:
            return ("enrollment.cancelled", "c") in await enrollment_events(db)

        await eventually(closed, within=10, what="the worker to close the ended waitlist")
        assert sum(await asyncio.gather(*(deadlines.close_ended_cohorts(db) for _ in "xy"))) == 0
    finally:
        await worker.stop()
        await asyncio.wait_for(task, timeout=5)
    (closing,) = [e for e in await queued(db) if e["data"].get("application_id") == "c"][-1:]
    assert closing["name"] == "enrollment.cancelled"
    assert closing["data"]["reason"] == COHORT_ENDED
    assert closing["data"]["status"] == "cancelled"

    # A freed seat promotes nobody now, and a late acceptance is closed at once.
    before = len(await enrollment_events(db))
    await withdraw(db, "b")
    await accept(db, "d", rank=1)
    assert (await enrollment_events(db))[before:] == [
        ("enrollment.cancelled", "b"),
        ("enrollment.waitlisted", "d"),
        ("enrollment.cancelled", "d"),
    ]
    rows = await db.fetch("SELECT application_id, status FROM enrollments")
    statuses = {r["application_id"]: r["status"] for r in rows}
    assert statuses == dict.fromkeys("abcd", "cancelled")
    assert await deadlines.close_ended_cohorts(db) == 0
