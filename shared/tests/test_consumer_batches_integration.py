"""The consumer's batch path (`runtime/batch.py`) on the real Postgres: a run of records reaches
a batch handler in one call with one inbox statement; a poison record sends its run one by one,
is dead-lettered with its reason and costs the others nothing; a crash mid-run leaves nothing,
and the redelivered batch applies each effect once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import asyncpg
import pytest

from aihub_local.testing import eventually
from aihub_shared.contracts.topics import INTAKE_APPLICATIONS
from aihub_shared.runtime.batch import BatchHandler, Consumed
from aihub_shared.runtime.consumer import EventConsumer
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.errors import RejectedEvent
from shared.tests.test_consumer_integration import (
    FAST,
    dead_letters,
    effect_table,
    effects,
    record,
    valid_submission,
)

pytestmark = pytest.mark.integration

__all__ = ["effect_table"]  # the fixture, used by name


def batch_consumer(pool: asyncpg.Pool, handler: BatchHandler) -> EventConsumer:
    return EventConsumer(
        name="kit.intake",
        topics=[INTAKE_APPLICATIONS],
        handlers={},
        batch_handlers={"application.submitted": handler},
        pool=pool,
        retry=FAST,
    )


async def record_all(conn: DbConnection, batch: Sequence[Consumed]) -> None:
    await conn.executemany("INSERT INTO effects VALUES ($1)", [(c.event.id,) for c in batch])


async def test_a_run_reaches_the_handler_in_one_call_each_event_once(
    effect_table: asyncpg.Pool, run_id: str
) -> None:
    calls: list[list[str]] = []

    async def handler(conn: DbConnection, batch: Sequence[Consumed]) -> None:
        calls.append([c.event.id for c in batch])
        await record_all(conn, batch)

    values = [valid_submission(run_id) for _ in range(4)]
    batch = [record(v) for v in [*values, values[1]]]  # the second event comes twice
    consumer = batch_consumer(effect_table, handler)

    assert await consumer.handle_batch([*batch, record(b"{oops"), record(values[3])]) == 4
    assert calls == [[json.loads(v)["id"] for v in values]]  # the bad record ended the run
    assert await effects(effect_table) == 4
    assert [d["dlq_reason"] for d in await dead_letters(effect_table)] == ["not JSON"]
    # Redelivered: the inbox turns the whole batch into duplicates, the handler is not called.
    assert await consumer.handle_batch(batch) == 0
    assert len(calls) == 1
    assert await effects(effect_table) == 4


async def test_a_poison_record_is_dead_lettered_and_the_others_applied(
    effect_table: asyncpg.Pool, run_id: str
) -> None:
    values = [valid_submission(run_id) for _ in range(5)]
    poison = json.loads(values[2])["id"]
    calls: list[int] = []

    async def handler(conn: DbConnection, batch: Sequence[Consumed]) -> None:
        calls.append(len(batch))
        await record_all(conn, batch)
        if any(c.event.id == poison for c in batch):
            raise RejectedEvent("the startup is on a sanctions list")

    consumer = batch_consumer(effect_table, handler)
    assert await consumer.handle_batch([record(v) for v in values]) == 4

    assert calls == [5, 1, 1, 1, 1, 1]  # the run, rolled back; then one by one
    rows = await effect_table.fetch("SELECT event_id FROM effects")
    assert sorted(r["event_id"] for r in rows) == sorted(
        json.loads(v)["id"] for v in values if json.loads(v)["id"] != poison
    )
    (letter,) = await dead_letters(effect_table)
    assert letter["dlq_reason"] == "rejected by a business rule"
    assert letter["dlq_detail"] == "the startup is on a sanctions list"


async def test_a_crash_mid_run_leaves_nothing_and_the_redelivery_applies_each_once(
    effect_table: asyncpg.Pool, run_id: str
) -> None:
    entered = asyncio.Event()

    async def stuck(conn: DbConnection, batch: Sequence[Consumed]) -> None:
        await record_all(conn, batch)
        entered.set()
        await asyncio.Event().wait()  # the process dies here, its transaction open

    batch = [record(valid_submission(run_id)) for _ in range(6)]
    crashing = asyncio.create_task(batch_consumer(effect_table, stuck).handle_batch(batch))

    async def in_handler() -> bool:
        return entered.is_set()

    await eventually(in_handler, within=10, what="the run to be in its handler")
    crashing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await crashing
    assert await effects(effect_table) == 0
    assert await effect_table.fetchval("SELECT count(*) FROM inbox") == 0

    consumer = batch_consumer(effect_table, record_all)
    assert await consumer.handle_batch(batch) == 6
    assert await consumer.handle_batch(batch) == 0
    assert await effects(effect_table) == 6
