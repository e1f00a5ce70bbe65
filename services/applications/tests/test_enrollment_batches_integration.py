"""Enrollment events a run at a time (issue 16): the service's own enrollment consumer follows a
fetched batch with set-based statements, and the effect is the one of following the same records
one by one — the same statuses and history in the same order, the same dead letters (a refused
event goes alone, the others of its run are followed)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import asyncpg
import pytest
from aiokafka import ConsumerRecord
from hypothesis import given, settings
from hypothesis import strategies as st

from aihub_applications.entrypoints.app import definition
from aihub_applications.service_layer.replicas import STATUS_BY_ENROLLMENT_EVENT
from aihub_local.testing import consumer_record
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import EnrollmentChanged, EnrollmentStatus
from aihub_shared.contracts.registry import contract
from aihub_shared.contracts.topics import PROGRAMS_ENROLLMENTS, dead_letter_topic
from aihub_shared.runtime.consumer import EventConsumer
from aihub_shared.runtime.db import create_pool
from aihub_shared.runtime.retry import RetryPolicy
from services.applications.tests.support import Seeded, Stored, seeded, service_settings

pytestmark = pytest.mark.integration

#: Which enrollment status each event carries.
CARRIED: dict[str, EnrollmentStatus] = {
    "enrollment.confirmed": "confirmed",
    "enrollment.promoted": "confirmed",
    "enrollment.agreement_signed": "confirmed",
    "enrollment.waitlisted": "waitlisted",
    "enrollment.cancelled": "cancelled",
}
#: An event about the n-th seeded application (-1: one we never issued).
Word = tuple[int, str]


def enrollment_consumer(pool: asyncpg.Pool) -> EventConsumer:
    """The service's own enrollment consumer, as `definition()` assembles it."""
    (spec,) = [s for s in definition(service_settings()).consumers if "enrollments" in s.name]
    return spec.build(pool, RetryPolicy(initial_backoff=0.01, max_backoff=0.05))


def records(seeds: Seeded, words: Sequence[Word]) -> list[ConsumerRecord]:
    out = []
    for n, name in words:
        application_id = str(seeds.ids[n]) if n >= 0 else "00000000-0000-0000-0000-000000000000"
        change = EnrollmentChanged(
            enrollment_id=f"enr-{n}",
            application_id=application_id,
            program_code="seeded",
            cohort_code=seeds.codes[0],
            startup_name=f"Startup {n}",
            status=CARRIED[name],
            seats=2,
            seats_taken=1,
            reason="seat freed" if name == "enrollment.promoted" else None,
        )
        event = CloudEvent.new(
            type=contract(name).type,
            source="/services/programs",
            subject=change.cohort_code,
            data=change,
        )
        out.append(
            consumer_record(PROGRAMS_ENROLLMENTS, event.to_bytes(), key=application_id.encode())
        )
    return out


async def followed(pool: asyncpg.Pool, seeds: Seeded) -> tuple[list[str], list[str]]:
    """The applications' statuses, and their history entries in the order they were written."""
    statuses = await pool.fetch(
        "SELECT status FROM applications WHERE id = ANY($1) ORDER BY array_position($1, id)",
        seeds.ids,
    )
    history = await pool.fetch(
        "SELECT application_id::text, from_status, to_status, actor, reason"
        " FROM application_history WHERE application_id = ANY($1) ORDER BY id",
        seeds.ids,
    )
    return [r["status"] for r in statuses], [seeds.shown(json.dumps(list(h))) for h in history]


async def dead_letters(pool: asyncpg.Pool, batch: Sequence[ConsumerRecord]) -> list[int]:
    """Which of the records were dead-lettered (their positions in `batch`), in that order."""
    values = [r.value for r in batch]
    rows = await pool.fetch(
        "SELECT value FROM outbox WHERE topic = $1 AND value = ANY($2::bytea[]) ORDER BY id",
        dead_letter_topic(PROGRAMS_ENROLLMENTS),
        values,
    )
    return [values.index(r["value"]) for r in rows]


async def test_a_run_follows_each_event_in_order_and_a_refused_one_goes_alone(
    applications_pool: asyncpg.Pool,
) -> None:
    seeds = await seeded(applications_pool, [(0, "accepted", 1), (0, "accepted", 2)], cohorts=1)
    # Runs of one event name: #0 twice in one; a poison record in the next.
    words: list[Word] = [(0, "enrollment.waitlisted"), (0, "enrollment.waitlisted")]
    words += [(1, "enrollment.confirmed"), (-1, "enrollment.confirmed")]
    words += [(0, "enrollment.promoted"), (1, "enrollment.cancelled")]
    consumer = enrollment_consumer(applications_pool)
    batch = records(seeds, words)
    assert await consumer.handle_batch(batch) == 5
    statuses, history = await followed(applications_pool, seeds)
    assert statuses == ["enrolled", "cancelled"]
    assert await dead_letters(applications_pool, batch) == [3]
    assert [tuple(json.loads(h)[:3]) for h in history] == [
        ("#0", "accepted", "waitlisted"),  # the repeat in the same run changed nothing
        ("#1", "accepted", "enrolled"),
        ("#0", "waitlisted", "enrolled"),
        ("#1", "enrolled", "cancelled"),
    ]
    assert json.loads(history[2])[4] == "enrollment promoted: seat freed"


statuses = st.sampled_from(
    ["accepted", "accepted", "waitlisted", "enrolled", "withdrawn", "received"]
)
words = st.lists(
    st.tuples(st.integers(-1, 2), st.sampled_from(sorted(STATUS_BY_ENROLLMENT_EVENT))),
    min_size=1,
    max_size=8,
)


async def batch_equals_one_by_one(dsn: str, stored: list[Stored], wanted: list[Word]) -> None:
    pool = await create_pool(dsn, max_size=2)
    try:
        together, alone = await seeded(pool, stored, 1), await seeded(pool, stored, 1)
        consumer = enrollment_consumer(pool)
        batch = records(together, wanted)
        applied = await consumer.handle_batch(batch)
        single = records(alone, wanted)
        outcomes = [await consumer.handle_record(record) for record in single]
        assert applied == outcomes.count("done")
        assert await followed(pool, together) == await followed(pool, alone)
        assert await dead_letters(pool, batch) == await dead_letters(pool, single)
    finally:
        await pool.close()


@settings(max_examples=20, deadline=None)
@given(stored=st.lists(statuses, min_size=3, max_size=3), wanted=words)
def test_a_batch_has_the_effect_of_its_records_one_by_one(
    applications_dsn: str, applications_pool: asyncpg.Pool, stored: list[str], wanted: list[Word]
) -> None:
    rows: list[Stored] = [(0, status, None) for status in stored]
    # Each example on a loop of its own: Hypothesis drives a plain function.
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(batch_equals_one_by_one(applications_dsn, rows, wanted))
    finally:
        loop.close()
