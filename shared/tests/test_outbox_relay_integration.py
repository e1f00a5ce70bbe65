"""The relay publishes committed outbox rows in order, in batches, and loses none when Kafka is
down; rows of a rolled-back transaction never leave."""

from __future__ import annotations

import dataclasses
import json

import asyncpg
import pytest

from aihub_local.stack import StackEndpoints
from aihub_local.testing import eventually, header, read_until
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.notifications import EmailDelivered
from aihub_shared.contracts.registry import contract
from aihub_shared.runtime import outbox
from aihub_shared.runtime.kafka_client import KafkaConnection
from aihub_shared.runtime.relay import OutboxRelay, RelayConfig, idempotent_producer
from aihub_shared.runtime.wakeup import Wakeup

pytestmark = pytest.mark.integration


def delivery_event(key: str, sequence: int) -> CloudEvent:
    # `email.sent` travels on a topic no service consumes: the services sharing the test stack
    # get no stray work from these tests.
    return CloudEvent.new(
        type=contract("email.sent").type,
        source="/tests/kit",
        subject=key,
        data=EmailDelivered(
            delivery_id=str(sequence),
            caused_by_event_id="kit",
            template="kit",
            recipient_masked="k***@example.com",
            message_id=f"<{key}-{sequence}@kit>",
        ),
    )


def relay_for(pool: asyncpg.Pool, dsn: str, kafka: KafkaConnection, batch_size: int) -> OutboxRelay:
    return OutboxRelay(
        pool,
        Wakeup(dsn, "kit_test_outbox", poll_interval=0.2),
        lambda: idempotent_producer(kafka, "kit-relay"),
        RelayConfig(service="kit_test", batch_size=batch_size),
    )


async def test_committed_rows_leave_in_order_and_rolled_back_rows_never(
    kit_pool: asyncpg.Pool, kit_dsn: str, local_stack: StackEndpoints, run_id: str
) -> None:
    key = f"kit-{run_id}"
    async with kit_pool.acquire() as conn:
        async with conn.transaction():
            await outbox.add_events(conn, [delivery_event(key, n) for n in range(5)])
        transaction = conn.transaction()
        await transaction.start()
        await outbox.add_events(conn, [delivery_event(key, 99)])
        await transaction.rollback()  # the state change failed

    relay = relay_for(kit_pool, kit_dsn, local_stack.kafka, batch_size=2)
    try:
        published = [await relay.publish_batch() for _ in range(4)]
    finally:
        await relay.close()
    assert published == [2, 2, 1, 0]
    assert await kit_pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0

    records = await read_until(
        local_stack.kafka,
        "notifications.deliveries",
        lambda r: r.key == key.encode(),
        count=5,
    )
    sequence = [json.loads(r.value)["data"]["delivery_id"] for r in records]
    assert sequence == ["0", "1", "2", "3", "4"]  # one key, one partition, in order; no 99
    assert header(records[0], "ce_type") == contract("email.sent").type


async def test_a_committed_call_wakes_the_relay_and_nothing_else_does(
    kit_pool: asyncpg.Pool, kit_dsn: str, run_id: str
) -> None:
    """The events of one `add_events` call are one INSERT, whose statement-level trigger
    NOTIFYs the relay's channel once the transaction commits; a rolled-back call and an empty
    one wake nobody."""
    key = f"kit-wake-{run_id}"
    heard: list[str] = []
    listener = await asyncpg.connect(kit_dsn)
    try:
        for channel in ("kit_test_outbox", "kit_test_done"):
            await listener.add_listener(channel, lambda *args: heard.append(args[2]))
        async with kit_pool.acquire() as conn:
            transaction = conn.transaction()
            await transaction.start()
            await outbox.add_events(conn, [delivery_event(key, n) for n in range(3)])
            await transaction.rollback()
            async with conn.transaction():
                await outbox.add_events(conn, [])
            async with conn.transaction():
                await outbox.add_events(conn, [delivery_event(key, n) for n in range(3)])
            await conn.execute("NOTIFY kit_test_done")

        async def all_delivered() -> bool:
            await listener.execute("SELECT 1")  # a round trip lets pending notifications in
            return "kit_test_done" in heard

        # Notifications arrive in commit order: by the last one, every earlier one is in.
        await eventually(all_delivered, what="the notifications of every transaction")
        assert heard == ["kit_test_outbox", "kit_test_done"]
    finally:
        await listener.close()
    assert await kit_pool.fetchval("SELECT count(*) FROM outbox WHERE key = $1", key.encode()) == 3


async def test_rows_wait_while_kafka_is_unreachable_and_leave_once_it_is_back(
    kit_pool: asyncpg.Pool, kit_dsn: str, local_stack: StackEndpoints, run_id: str
) -> None:
    key = f"kit-outage-{run_id}"
    async with kit_pool.acquire() as conn, conn.transaction():
        await outbox.add_events(conn, [delivery_event(key, 1)])

    nowhere = dataclasses.replace(local_stack.kafka, bootstrap_servers="127.0.0.1:1")
    unreachable = relay_for(kit_pool, kit_dsn, nowhere, batch_size=10)
    try:
        with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the client raises
            await unreachable.publish_batch()
    finally:
        await unreachable.close()
    assert await kit_pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 1

    relay = relay_for(kit_pool, kit_dsn, local_stack.kafka, batch_size=10)
    try:
        assert await relay.publish_batch() == 1
    finally:
        await relay.close()
    records = await read_until(
        local_stack.kafka,
        "notifications.deliveries",
        lambda r: r.key == key.encode(),
        count=1,
    )
    assert len(records) == 1


async def test_a_row_kafka_can_never_take_is_set_aside_and_the_rest_flows(
    kit_pool: asyncpg.Pool, kit_dsn: str, local_stack: StackEndpoints, run_id: str
) -> None:
    key = f"kit-huge-{run_id}"
    async with kit_pool.acquire() as conn, conn.transaction():
        await outbox.add_events(conn, [delivery_event(key, 1)])
        await outbox.add_raw(
            conn,
            topic="notifications.deliveries",
            key=key.encode(),
            value=b"x" * (2 << 20),
            headers=[],
        )
        await outbox.add_events(conn, [delivery_event(key, 3)])

    relay = relay_for(kit_pool, kit_dsn, local_stack.kafka, batch_size=10)
    try:
        assert await relay.publish_batch() == 3
        assert await relay.publish_batch() == 0  # nothing is retried for ever
    finally:
        await relay.close()
    (aside,) = await kit_pool.fetch(
        "SELECT length(value) AS size, failed_reason FROM outbox WHERE failed_at IS NOT NULL"
    )
    assert aside["size"] == 2 << 20
    assert "MessageSizeTooLarge" in aside["failed_reason"]
    records = await read_until(
        local_stack.kafka,
        "notifications.deliveries",
        lambda r: r.key == key.encode(),
        count=2,
    )
    assert [json.loads(r.value)["data"]["delivery_id"] for r in records] == ["1", "3"]
