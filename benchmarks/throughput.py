"""Throughput of the hot paths on the real Postgres and Kafka of the test stack: writing the
outbox, the relay, the consumer.

    .venv/bin/python -m benchmarks.throughput [--events 20000]

Prints events/s and the peak memory of the process; asserts nothing. It uses the `kit_test`
scratch schema of the integration tests (it creates it if needed), never a service's schema.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from datetime import UTC, datetime

import asyncpg
from aiokafka import ConsumerRecord

from aihub_local.paths import state_dir_for_tests
from aihub_local.stack import LocalStack
from aihub_local.testing import scratch_database_url
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.intake import ApplicationSubmitted
from aihub_shared.contracts.notifications import EmailDelivered
from aihub_shared.contracts.registry import contract
from aihub_shared.contracts.topics import INTAKE_APPLICATIONS
from aihub_shared.contracts.topics_admin import ensure_topics
from aihub_shared.runtime import outbox
from aihub_shared.runtime.consumer import EventConsumer
from aihub_shared.runtime.db import DbConnection, apply_migrations, create_pool
from aihub_shared.runtime.kafka_client import KafkaConnection
from aihub_shared.runtime.relay import OutboxRelay, RelayConfig, idempotent_producer
from aihub_shared.runtime.wakeup import Wakeup

SAMPLE = {
    "submission_id": "bench",
    "program_code": "bench-program",
    "cohort_code": "bench-cohort",
    "startup": {
        "name": "Bench AI",
        "business_registration_number": "2208162517",
        "founded_on": "2023-01-01",
        "employees": 5,
        "ai_field": "benchmarks",
    },
    "contact": {"name": "Bench", "email": "bench@example.com", "locale": "en"},
    "consent_personal_info": True,
}


def event(i: int) -> CloudEvent:
    data = ApplicationSubmitted.model_validate({**SAMPLE, "submission_id": f"bench-{i}"})
    return CloudEvent.new(
        type=contract("application.submitted").type,
        source="/bench",
        subject=f"bench-{i % 64}",
        data=data,
    )


def unconsumed_event(i: int) -> CloudEvent:
    """For the relay: `email.sent` goes to a topic no service reads, so the benchmark leaves no
    work behind for the services sharing the test stack."""
    return CloudEvent.new(
        type=contract("email.sent").type,
        source="/bench",
        subject=f"bench-{i % 64}",
        data=EmailDelivered(
            delivery_id=f"bench-{i}",
            caused_by_event_id="bench",
            template="bench",
            recipient_masked="b***@example.com",
            message_id=f"<bench-{i}@bench>",
        ),
    )


async def fill_outbox(pool: asyncpg.Pool, n: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        for start in range(0, n, 1000):
            batch = range(start, min(n, start + 1000))
            await outbox.add_events(conn, [unconsumed_event(i) for i in batch])


async def outbox_write_rate(pool: asyncpg.Pool, n: int, per_call: int) -> float:
    """`outbox.add_events` as a use case calls it: `per_call` events in one transaction of
    their own, `n` events in all (built before the clock starts)."""
    await pool.execute("TRUNCATE outbox")
    calls = [
        [unconsumed_event(i) for i in range(start, min(n, start + per_call))]
        for start in range(0, n, per_call)
    ]
    async with pool.acquire() as conn:
        async with conn.transaction():  # statements prepared outside the clock
            await outbox.add_events(conn, calls[0])
        began = time.perf_counter()
        for events in calls:
            async with conn.transaction():
                await outbox.add_events(conn, events)
        elapsed = time.perf_counter() - began
    await pool.execute("TRUNCATE outbox")
    return n / elapsed


async def relay_rate(
    pool: asyncpg.Pool, dsn: str, kafka: KafkaConnection, n: int, batch: int
) -> float:
    await pool.execute("TRUNCATE outbox")
    await fill_outbox(pool, n)
    relay = OutboxRelay(
        pool,
        Wakeup(dsn, "kit_test_outbox", poll_interval=1),
        lambda: idempotent_producer(kafka, "bench-relay"),
        RelayConfig(service="kit_test", batch_size=batch),
    )
    try:
        await relay.publish_batch()  # warm the producer up outside the clock
        began, published = time.perf_counter(), 0
        while (done := await relay.publish_batch()) > 0:
            published += done
        elapsed = time.perf_counter() - began
    finally:
        await relay.close()
    return published / elapsed


async def consumer_rate(pool: asyncpg.Pool, n: int) -> float:
    await pool.execute("TRUNCATE inbox")
    await pool.execute("CREATE TABLE IF NOT EXISTS bench_effects (id text)")

    async def effect(conn: DbConnection, ev: CloudEvent, data: object) -> None:
        await conn.execute("INSERT INTO bench_effects VALUES ($1)", ev.id)

    consumer = EventConsumer(
        name="bench",
        topics=[INTAKE_APPLICATIONS],
        handlers={"application.submitted": effect},
        pool=pool,
    )
    now = int(datetime.now(UTC).timestamp() * 1000)
    records = [
        ConsumerRecord(INTAKE_APPLICATIONS, 0, i, now, 0, b"k", event(i).to_bytes(), None, 1, 1, [])
        for i in range(n)
    ]
    began = time.perf_counter()
    for start in range(0, n, 200):
        await consumer.handle_batch(records[start : start + 200])
    return n / (time.perf_counter() - began)


async def main(events: int) -> None:
    endpoints = LocalStack(state_dir_for_tests(), fixed_ports=False).up()
    await ensure_topics(endpoints.kafka_as("ops"))
    dsn = await scratch_database_url(endpoints, "kit_test")
    pool = await create_pool(dsn, max_size=4)
    try:
        await apply_migrations(pool, None)
        results = {}
        for per_call in (1, 5, 100):
            results[f"outbox writes, {per_call} per transaction"] = await outbox_write_rate(
                pool, min(events, 5000), per_call
            )
        for batch in (1, 100, 500):
            n = min(events, 2000) if batch == 1 else events
            results[f"relay batch={batch}"] = await relay_rate(pool, dsn, endpoints.kafka, n, batch)
        results["consumer (validate + inbox + effect, batch transaction)"] = await consumer_rate(
            pool, min(events, 5000)
        )
    finally:
        await pool.close()
    figures = {k: f"{v:,.0f} events/s" for k, v in results.items()}
    # ru_maxrss is in KiB on Linux: the whole benchmark process, relay and consumer included.
    figures["peak memory (RSS)"] = (
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB"
    )
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    asyncio.run(main(parser.parse_args().events))
