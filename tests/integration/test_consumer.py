"""The consumer's guarantees on the real Postgres: an effect once however often a record comes,
dead letters with reasons (once), transient faults retried, lagging dependencies bounded."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest
from aiokafka import ConsumerRecord

from aihub_local.testing import consumer_record
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.registry import contract
from aihub_shared.contracts.topics import INTAKE_APPLICATIONS
from aihub_shared.runtime.consumer import EventConsumer, RetryPolicy
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.errors import RejectedEvent, RetryLater, TransientError
from aihub_shared.runtime.outbox import decode_headers
from tests.e2e.kafka_io import submitted_event

pytestmark = pytest.mark.integration

FAST = RetryPolicy(
    retry_later_max_seconds=0.5, unexpected_max_attempts=3, initial_backoff=0.01, max_backoff=0.05
)


def record(value: bytes | None, *, key: bytes = b"k", headers: Any = ()) -> ConsumerRecord:
    return consumer_record(INTAKE_APPLICATIONS, value, key=key, headers=headers)


def valid_submission(run_id: str) -> bytes:
    event = submitted_event(
        f"kit-{run_id}",
        program_code="kit-program",
        cohort_code="kit-cohort",
        contact_email="kit@example.com",
    )
    return json.dumps(event).encode()


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
    await consumer.handle_batch(batch)
    # The process died after the DB commit but before the offset commit: the batch comes again.
    await consumer.handle_batch(batch)
    await consumer.handle_batch([record(batch[0].value)])  # and once more at another offset
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
