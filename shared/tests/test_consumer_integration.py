"""The consumer's guarantees on the real Postgres: an effect once however often a record comes,
dead letters with reasons (once), transient faults retried, lagging dependencies bounded."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
import pytest
from aiokafka import ConsumerRecord

from aihub_local.testing import consumer_record, eventually
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.examples import example_event
from aihub_shared.contracts.registry import contract
from aihub_shared.contracts.topics import INTAKE_APPLICATIONS
from aihub_shared.runtime.consumer import EventConsumer
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.errors import RejectedEvent, RetryLater, TransientError
from aihub_shared.runtime.outbox import decode_headers
from aihub_shared.runtime.retry import RetryPolicy

pytestmark = pytest.mark.integration

FAST = RetryPolicy(
    retry_later_max_seconds=0.5, unexpected_max_attempts=3, initial_backoff=0.01, max_backoff=0.05
)


def record(value: bytes | None, *, key: bytes = b"k", headers: Any = ()) -> ConsumerRecord:
    return consumer_record(INTAKE_APPLICATIONS, value, key=key, headers=headers)


def valid_submission(run_id: str) -> bytes:
    """A valid `application.submitted` (the published example) with an event id of its own."""
    example = example_event(contract("application.submitted"))
    event = example.model_copy(update={"id": f"kit-{run_id}-{uuid.uuid4()}"})
    return json.dumps(event.model_dump(mode="json", exclude_none=True)).encode()


async def effects(pool: asyncpg.Pool) -> int:
    value: int = await pool.fetchval("SELECT count(*) FROM effects")
    return value


async def dead_letters(pool: asyncpg.Pool) -> list[dict[str, str]]:
    rows = await pool.fetch(
        "SELECT topic, headers FROM outbox WHERE topic LIKE '%.dlq' ORDER BY id"
    )
    return [
        {"topic": r["topic"]}
        | {k: v.decode(errors="replace") for k, v in decode_headers(r["headers"])}
        for r in rows
    ]


@pytest.fixture
async def effect_table(kit_pool: asyncpg.Pool) -> asyncpg.Pool:
    await kit_pool.execute("CREATE TABLE IF NOT EXISTS effects (event_id text)")
    await kit_pool.execute("TRUNCATE effects")
    return kit_pool


def consumer_with(pool: asyncpg.Pool, handler: Any) -> EventConsumer:
    return EventConsumer(
        name="kit.intake",
        topics=[INTAKE_APPLICATIONS],
        handlers={"application.submitted": handler},
        pool=pool,
        retry=FAST,
    )


async def record_effect(conn: DbConnection, event: CloudEvent, data: Any) -> None:
    await conn.execute("INSERT INTO effects VALUES ($1)", event.id)


async def test_a_redelivered_batch_changes_nothing(effect_table: asyncpg.Pool, run_id: str) -> None:
    consumer = consumer_with(effect_table, record_effect)
    batch = [record(valid_submission(run_id))]
    assert await consumer.handle_batch(batch) == 1
    # The process died after the DB commit but before the offset commit: the batch comes again.
    assert await consumer.handle_batch(batch) == 0
    assert await consumer.handle_batch([record(batch[0].value)]) == 0  # and at another offset
    assert await effects(effect_table) == 1
    outcomes = await effect_table.fetch("SELECT outcome FROM inbox")
    assert [r["outcome"] for r in outcomes] == ["done"]


async def test_bad_records_become_one_dead_letter_each_with_a_reason(
    effect_table: asyncpg.Pool, run_id: str
) -> None:
    consumer = consumer_with(effect_table, record_effect)
    unknown = json.loads(valid_submission(run_id))
    unknown["type"] = contract("application.submitted").type.replace(".v1", ".v7")
    bad = [
        record(b"{oops", headers=[("x-original", b"\xff")]),
        record(json.dumps(unknown).encode()),
        record(None),
    ]
    await consumer.handle_batch(bad)
    await consumer.handle_batch(bad)  # redelivered: no second dead letter
    letters = await dead_letters(effect_table)
    assert [(d["topic"], d["dlq_reason"]) for d in letters] == [
        ("intake.applications.dlq", "not JSON"),
        ("intake.applications.dlq", "unknown event type"),
        ("intake.applications.dlq", "empty message"),
    ]
    assert letters[0]["dlq_offset"] == str(bad[0].offset)
    assert "x-original" in letters[0]
    assert await effects(effect_table) == 0


async def test_a_business_rejection_is_dead_lettered_without_a_partial_effect(
    effect_table: asyncpg.Pool, run_id: str
) -> None:
    async def rejecting(conn: DbConnection, event: CloudEvent, data: Any) -> None:
        await record_effect(conn, event, data)
        raise RejectedEvent("cohort kit-cohort is not in the catalog")

    await consumer_with(effect_table, rejecting).handle_batch([record(valid_submission(run_id))])
    assert await effects(effect_table) == 0  # rolled back with the handler's transaction
    (letter,) = await dead_letters(effect_table)
    assert letter["dlq_reason"] == "rejected by a business rule"
    assert letter["dlq_detail"] == "cohort kit-cohort is not in the catalog"


async def test_transient_faults_are_retried_until_they_pass(
    effect_table: asyncpg.Pool, run_id: str
) -> None:
    calls = 0

    async def flaky(conn: DbConnection, event: CloudEvent, data: Any) -> None:
        nonlocal calls
        calls += 1
        if calls <= 5:  # more failures than any bounded policy here would allow
            raise TransientError("SMTP or DB hiccup")
        await record_effect(conn, event, data)

    await consumer_with(effect_table, flaky).handle_batch([record(valid_submission(run_id))])
    assert calls == 6
    assert await effects(effect_table) == 1
    assert await dead_letters(effect_table) == []


async def test_a_dependency_that_never_arrives_ends_as_a_dead_letter(
    effect_table: asyncpg.Pool, run_id: str
) -> None:
    async def waiting(conn: DbConnection, event: CloudEvent, data: Any) -> None:
        raise RetryLater("the applicant replica has no row yet")

    await consumer_with(effect_table, waiting).handle_batch([record(valid_submission(run_id))])
    (letter,) = await dead_letters(effect_table)
    assert letter["dlq_reason"] == "dependency not ready in time"
    assert "applicant replica" in letter["dlq_detail"]


async def test_events_of_types_this_consumer_does_not_handle_are_skipped(
    effect_table: asyncpg.Pool,
) -> None:
    other = EventConsumer(
        name="kit.other", topics=[INTAKE_APPLICATIONS], handlers={}, pool=effect_table, retry=FAST
    )
    await other.handle_batch([record(valid_submission("skip"))])
    assert await dead_letters(effect_table) == []
    assert await effect_table.fetchval("SELECT count(*) FROM inbox") == 0


async def test_hostile_records_are_dead_lettered_and_the_batch_goes_on(
    effect_table: asyncpg.Pool, run_id: str
) -> None:
    consumer = consumer_with(effect_table, record_effect)
    forged = [("dlq_topic", b"applications.lifecycle"), ("dlq_reason", b"all fine, replay me")]
    hostile = [
        record(b"[" * 50_000),  # deep nesting: a RecursionError in the JSON parser
        record(b"{oops", headers=[("x-null", None)]),  # a header without a value
        record(b"{oops", headers=forged),
        record(b"x" * (900 * 1024)),  # near the broker's limit: the copy must still fit
    ]
    good = record(valid_submission(run_id))
    await consumer.handle_batch([*hostile, good])
    await consumer.handle_batch([*hostile, good])  # redelivered: nothing new

    letters = await dead_letters(effect_table)
    assert [d["dlq_reason"] for d in letters] == ["not JSON"] * 3 + ["message too large"]
    assert letters[0]["dlq_detail"] == "nested too deeply"
    assert letters[1]["x-null"] == ""
    # A publisher cannot say where its message failed: only the consumer's own headers count.
    assert letters[2]["dlq_topic"] == "intake.applications"
    assert letters[2]["dlq_reason"] == "not JSON"
    assert letters[3]["dlq_value_bytes"] == str(900 * 1024)
    sizes = await effect_table.fetch(
        "SELECT length(value) AS size FROM outbox WHERE topic LIKE '%.dlq' ORDER BY id"
    )
    assert sizes[-1]["size"] <= 512 * 1024
    assert await effects(effect_table) == 1  # the valid record behind them went through


async def test_a_long_outage_does_not_use_up_the_patience_for_a_lagging_replica(
    effect_table: asyncpg.Pool, run_id: str
) -> None:
    began = asyncio.get_running_loop().time()
    lagged = False

    async def outage_then_lag(conn: DbConnection, event: CloudEvent, data: Any) -> None:
        nonlocal lagged
        if asyncio.get_running_loop().time() - began < 0.8:  # longer than the 0.5 s for lag
            raise TransientError("database restarting")
        if not lagged:
            lagged = True
            raise RetryLater("replica one step behind")
        await record_effect(conn, event, data)

    consumer = consumer_with(effect_table, outage_then_lag)
    await consumer.handle_batch([record(valid_submission(run_id))])
    assert await dead_letters(effect_table) == []
    assert await effects(effect_table) == 1


async def test_shutdown_cancels_an_event_stuck_in_retries(
    effect_table: asyncpg.Pool, run_id: str
) -> None:
    calls = 0

    async def always_down(conn: DbConnection, event: CloudEvent, data: Any) -> None:
        nonlocal calls
        calls += 1
        raise TransientError("down")

    consumer = consumer_with(effect_table, always_down)
    task = asyncio.create_task(consumer.handle_batch([record(valid_submission(run_id))]))

    async def retrying() -> bool:
        return calls >= 2  # failed, then tried again

    await eventually(retrying, within=10, what="the event to be in its retries")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    calls_at_cancel = calls
    # Waits to prove that nothing happens: FAST retries within max_backoff (0.05 s), so 0.2 s
    # would see several retries if any went on.
    await asyncio.sleep(0.2)
    assert calls == calls_at_cancel  # no retry goes on behind the shutdown
    assert await dead_letters(effect_table) == []  # and cancelling is no reason to dead-letter


async def test_a_failure_in_the_middle_of_a_batch_leaves_one_effect_per_event(
    effect_table: asyncpg.Pool, run_id: str
) -> None:
    """The fast path has no savepoint per record: a failing handler rolls the batch's
    transaction back, the records before it are applied again, and it takes the slow path.
    Each event still has exactly one effect, and the records after it go through."""
    batch = [record(valid_submission(run_id)) for _ in range(5)]
    failing = json.loads(batch[2].value or b"")["id"]
    failures = 0

    async def fails_once_on_the_third(conn: DbConnection, event: CloudEvent, data: Any) -> None:
        nonlocal failures
        await record_effect(conn, event, data)  # a write the rollback must take back
        if event.id == failing and not failures:
            failures += 1
            raise TransientError("replica hiccup")

    consumer = consumer_with(effect_table, fails_once_on_the_third)
    assert await consumer.handle_batch(batch) == 5
    rows = await effect_table.fetch("SELECT event_id, count(*) AS n FROM effects GROUP BY 1")
    assert len(rows) == 5
    assert {r["n"] for r in rows} == {1}
    assert failures == 1
    assert await consumer.handle_batch(batch) == 0  # redelivered: nothing new


async def test_the_same_event_twice_in_one_batch_has_one_effect(
    effect_table: asyncpg.Pool, run_id: str
) -> None:
    consumer = consumer_with(effect_table, record_effect)
    value = valid_submission(run_id)
    assert await consumer.handle_batch([record(value), record(value)]) == 1
    assert await effects(effect_table) == 1
