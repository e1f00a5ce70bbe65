"""A run of `application.accepted` events decided together (issue 16: a bulk decision publishes its
acceptances as a run of one cohort) on the real Postgres: the rows, counts and events are those of
the same events handled one by one in their order — a run that fills the cohort midway, into a
full cohort with a waitlist, into an ended one, with duplicates, across two cohorts — and a
poison record in a run is dead-lettered alone through the service's own consumer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from aiokafka import ConsumerRecord

from aihub_local.testing import consumer_record
from aihub_programs.entrypoints.app import CONSUMERS
from aihub_programs.service_layer.enrollment import (
    enroll_accepted_application,
    enroll_accepted_applications,
)
from aihub_shared.contracts.applications import ApplicationDecided
from aihub_shared.contracts.topics import APPLICATIONS_LIFECYCLE, dead_letter_topic
from aihub_shared.runtime.batch import Consumed
from aihub_shared.runtime.consumer import EventConsumer
from aihub_shared.runtime.outbox import decode_headers
from aihub_shared.runtime.retry import RetryPolicy
from services.programs.tests.support import accept, accepted, event, make_cohort, queued, withdraw

pytestmark = pytest.mark.integration

Setup = Callable[[asyncpg.Pool], Awaitable[None]]


async def _fresh(pool: asyncpg.Pool, setup: Setup) -> None:
    await pool.execute(
        "TRUNCATE kpi_reports, enrollments, cohorts, programs, outbox, inbox RESTART IDENTITY"
    )
    await setup(pool)


async def _state(pool: asyncpg.Pool) -> tuple[list[Any], list[Any], list[Any]]:
    """What a reader can see: the events (without ids and clock readings), the rows, the counts."""
    steps = []
    for e in await queued(pool):
        if e["name"] == "cohort.published":
            continue  # what the setup published, with its own clock readings
        data = {
            k: v
            for k, v in e["data"].items()
            if k not in ("enrollment_id", "agreement_due_at", "agreement_signed_at")
        }
        steps.append((e["name"], e["key"], data, e["data"].get("agreement_due_at") is None))
    rows = await pool.fetch(
        "SELECT application_id, cohort_code, program_code, startup_name,"
        " business_registration_number, status, rank, reason, held_seat,"
        " agreement_due_at IS NULL AS no_deadline FROM enrollments ORDER BY arrival"
    )
    counts = await pool.fetch("SELECT code, seats_taken, waitlisted FROM cohorts ORDER BY code")
    return steps, [dict(r) for r in rows], [dict(r) for r in counts]


async def _as_run_and_one_by_one(
    pool: asyncpg.Pool, setup: Setup, run: list[ApplicationDecided]
) -> tuple[Any, Any]:
    """The same acceptances after the same setup: as one run, then one by one."""
    events = [event("application.accepted", data) for data in run]
    await _fresh(pool, setup)
    async with pool.acquire() as conn, conn.transaction():
        now = datetime.now(UTC)
        await enroll_accepted_applications(
            conn, [Consumed(e, d, now) for e, d in zip(events, run, strict=True)]
        )
    as_run = await _state(pool)
    await _fresh(pool, setup)
    for e, data in zip(events, run, strict=True):
        async with pool.acquire() as conn, conn.transaction():
            await enroll_accepted_application(conn, e, data)
    return as_run, await _state(pool)


async def _one_cohort(pool: asyncpg.Pool) -> None:
    await make_cohort(pool, seats=2)


async def test_a_run_that_fills_the_cohort_midway(db: asyncpg.Pool) -> None:
    run = [accepted(app, rank=rank) for app, rank in [("a", 1), ("b", 2), ("c", 3), ("d", None)]]
    run.append(accepted("e", rank=2))  # b's rank, but b holds a seat: ahead of c and d

    as_run, one_by_one = await _as_run_and_one_by_one(db, _one_cohort, run)

    assert as_run == one_by_one
    steps = [
        (name, data.get("application_id"), data.get("waitlist_position"))
        for name, _, data, _ in as_run[0]
    ]
    assert steps == [
        ("enrollment.confirmed", "a", None),
        ("enrollment.confirmed", "b", None),
        ("cohort.filled", None, None),
        ("enrollment.waitlisted", "c", 1),
        ("enrollment.waitlisted", "d", 2),
        ("enrollment.waitlisted", "e", 1),
    ]
    assert as_run[2] == [{"code": "cv-2027-1", "seats_taken": 2, "waitlisted": 3}]


async def _full_with_a_waitlist(pool: asyncpg.Pool) -> None:
    await make_cohort(pool, seats=1)
    for n, rank in enumerate([1, 2, 5, None, 7, 5]):
        await accept(pool, f"before-{n}", rank=rank)
    await withdraw(pool, "tombstone")  # a withdrawal seen before its acceptance


async def test_a_run_into_a_full_cohort_takes_its_places_in_the_waitlist(db: asyncpg.Pool) -> None:
    ranks = [3, 1, 6, None, 9, 5, 2]
    run = [accepted(f"new-{n}", rank=rank) for n, rank in enumerate(ranks)]
    run.append(accepted("tombstone", rank=1))  # takes nothing

    as_run, one_by_one = await _as_run_and_one_by_one(db, _full_with_a_waitlist, run)

    assert as_run == one_by_one
    positions = [
        data["waitlist_position"]
        for name, _, data, _ in as_run[0]
        if name == "enrollment.waitlisted" and data["application_id"].startswith("new-")
    ]
    # Waiting before: ranks 2, 5, 5, 7, unranked (rank 1 holds the seat); an equal rank that
    # came earlier is ahead, the unranked are behind every rank.
    assert positions == [2, 1, 6, 9, 8, 6, 3]


async def _ended_with_a_waitlist(pool: asyncpg.Pool) -> None:
    await _full_with_a_waitlist(pool)
    # Its last day is over (the sweep has not run yet): set by hand, as a repair would.
    await pool.execute("UPDATE cohorts SET ends_on = current_date - 2")


async def test_a_run_into_an_ended_cohort_closes_its_waitlist_once(db: asyncpg.Pool) -> None:
    run = [accepted(f"late-{n}", rank=n + 1) for n in range(3)]

    as_run, one_by_one = await _as_run_and_one_by_one(db, _ended_with_a_waitlist, run)

    assert as_run == one_by_one
    late = [(name, data.get("application_id")) for name, _, data, _ in as_run[0][7:]]
    assert late[:2] == [("enrollment.waitlisted", "late-0"), ("enrollment.cancelled", "late-0")]
    assert len(late) == 2 + 5 + 2 + 2  # late-0 and the five waiting, then each later one
    assert as_run[2][0]["waitlisted"] == 0


async def _two_cohorts(pool: asyncpg.Pool) -> None:
    await make_cohort(pool, "cv-2027-1", seats=1)
    await make_cohort(pool, "cv-2027-2", seats=2)
    await accept(pool, "known", rank=1, cohort="cv-2027-2")


async def test_a_run_across_two_cohorts_with_duplicates(db: asyncpg.Pool) -> None:
    run = [
        accepted("x1", rank=1),
        accepted("y1", rank=1, cohort="cv-2027-2"),
        accepted("x2", rank=2),
        accepted("x1", rank=1),  # a re-decision inside the run: changes nothing
        accepted("known", rank=1),  # known in the other cohort: changes nothing
        accepted("y2", rank=3, cohort="cv-2027-2"),
        accepted("x2", rank=2, cohort="cv-2027-2"),  # known by now, in the first cohort
        accepted("x3", rank=None),
    ]

    as_run, one_by_one = await _as_run_and_one_by_one(db, _two_cohorts, run)

    assert as_run == one_by_one
    steps = [(name, key, data.get("application_id")) for name, key, data, _ in as_run[0][1:]]
    assert steps == [
        ("enrollment.confirmed", "cv-2027-1", "x1"),
        ("cohort.filled", "cv-2027-1", None),
        ("enrollment.confirmed", "cv-2027-2", "y1"),
        ("cohort.filled", "cv-2027-2", None),
        ("enrollment.waitlisted", "cv-2027-1", "x2"),
        ("enrollment.waitlisted", "cv-2027-2", "y2"),
        ("enrollment.waitlisted", "cv-2027-1", "x3"),
    ]


def _consumer(pool: asyncpg.Pool) -> EventConsumer:
    (spec,) = [s for s in CONSUMERS if s.name == "programs.lifecycle"]
    return spec.build(pool, RetryPolicy(initial_backoff=0.01, max_backoff=0.05))


def _record(data: ApplicationDecided) -> ConsumerRecord:
    return consumer_record(
        APPLICATIONS_LIFECYCLE,
        event("application.accepted", data).to_bytes(),
        key=data.cohort_code.encode(),
    )


async def test_a_poison_record_in_a_run_is_dead_lettered_alone(db: asyncpg.Pool) -> None:
    await make_cohort(db, seats=3)
    hostile = accepted("x").model_copy(update={"application_id": "line\nbreak"})
    batch = [
        _record(accepted("a", rank=1)),
        _record(accepted("b", rank=2)),
        _record(accepted("c", rank=3, cohort="no-such-cohort")),
        _record(hostile),
        _record(accepted("d", rank=4)),
    ]
    batch.append(batch[0])  # the same record again: handled once
    consumer = _consumer(db)

    assert await consumer.handle_batch(batch) == 3

    steps = [(e["name"], e["data"].get("application_id")) for e in await queued(db)][1:]
    assert steps == [
        ("enrollment.confirmed", "a"),
        ("enrollment.confirmed", "b"),
        ("enrollment.confirmed", "d"),
        ("cohort.filled", None),
    ]
    dead = await db.fetch(
        "SELECT headers FROM outbox WHERE topic = $1 ORDER BY id",
        dead_letter_topic(APPLICATIONS_LIFECYCLE),
    )
    details = [dict(decode_headers(r["headers"]))["dlq_detail"] for r in dead]
    assert [d.decode() for d in details] == [
        "cohort 'no-such-cohort' is not in the catalog",
        "application_id 'line\\nbreak' is not an application id",
    ]
    # A redelivery of the whole batch changes nothing.
    assert await consumer.handle_batch(batch) == 0
    assert len(await queued(db)) == 5


async def test_two_runs_of_one_cohort_at_once_never_overfill(db: asyncpg.Pool) -> None:
    await make_cohort(db, seats=3)
    first = [_record(accepted(f"a{n}", rank=2 * n + 1)) for n in range(4)]
    second = [_record(accepted(f"b{n}", rank=2 * n + 2)) for n in range(4)]

    await asyncio.gather(_consumer(db).handle_batch(first), _consumer(db).handle_batch(second))

    rows = await db.fetch("SELECT status, count(*) AS n FROM enrollments GROUP BY status")
    assert {r["status"]: r["n"] for r in rows} == {"confirmed": 3, "waitlisted": 5}
    counts = await db.fetch("SELECT seats_taken, waitlisted FROM cohorts")
    assert [tuple(r) for r in counts] == [(3, 5)]
