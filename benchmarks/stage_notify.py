"""Notifications' batch consumers alone: N `application.received`, then their N
`application.accepted`, then N `enrollment.confirmed`, through the service's own consumers
(decode, inbox, replicas, mail rendering, deliveries) on the test stack's real Postgres, in the
batches the consumer gets from Kafka. Prints, per event kind, events per second, this process's
CPU seconds and the SQL statements per batch; asserts nothing. It logs as the service does
(JSON lines, INFO: their cost is the service's), so keep the figures apart:

    .venv/bin/python -m benchmarks.stage_notify [--n 2000 --n 10000] | grep -v '^{'

It uses the scratch schema `notifications_bench_test` (created if needed), never the service's.
The pool holds one connection, so that every statement passes its query logger.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg
from aiokafka import ConsumerRecord
from pydantic import BaseModel

from aihub_local.stack import StackEndpoints
from aihub_local.testing import UNUSED_KAFKA_LOGIN, scratch_database_url, valid_brn
from aihub_notifications.entrypoints.app import definition
from aihub_notifications.settings import Settings
from aihub_shared.contracts import topics
from aihub_shared.contracts.applications import ApplicationDecided, ApplicationReceived
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import (
    CohortPublished,
    EnrollmentChanged,
    default_review_stages,
)
from aihub_shared.contracts.registry import contract
from aihub_shared.contracts.values import Contact
from aihub_shared.runtime.consumer import EventConsumer
from aihub_shared.runtime.db import apply_migrations, create_pool
from aihub_shared.runtime.retry import RetryPolicy
from benchmarks.stage_result import log_as_service

ROLE = "notifications_bench_test"
PROGRAM = "bench-program"
BATCH = 200  # CONSUMER_BATCH_SIZE's default
MANAGER = {"name": "PM", "email": "pm@hub.example", "locale": "ko"}


@dataclass(frozen=True)
class KindRun:
    kind: str
    n: int
    seconds: float
    cpu_seconds: float
    statements: int

    @property
    def rate(self) -> float:
        return self.n / self.seconds

    @property
    def statements_per_batch(self) -> float:
        return self.statements / -(-self.n // BATCH)


class StatementCount:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, record: object) -> None:
        self.count += 1


def new_event(name: str, data: BaseModel, subject: str) -> CloudEvent:
    return CloudEvent.new(type=contract(name).type, source="/bench", subject=subject, data=data)


def as_record(topic: str, event: CloudEvent, offset: int) -> ConsumerRecord:
    now = int(datetime.now(UTC).timestamp() * 1000)
    return ConsumerRecord(topic, 0, offset, now, 0, b"k", event.to_bytes(), None, 1, 1, [])


def cohort_event(cohort: str, n: int) -> CloudEvent:
    now = datetime.now(UTC)
    data = CohortPublished(
        program_code=PROGRAM,
        program_name_ko="벤치마크",
        program_name_en="Benchmark",
        partner=None,
        cohort_code=cohort,
        seats=n,
        application_opens_at=now - timedelta(days=1),
        application_closes_at=now + timedelta(days=30),
        starts_on=date(2027, 3, 2),
        ends_on=date(2027, 8, 31),
        program_managers=[Contact.model_validate(MANAGER)],
        review_stages=default_review_stages(),
    )
    return new_event("cohort.published", data, cohort)


def lifecycle_events(cohort: str, i: int) -> tuple[CloudEvent, CloudEvent]:
    application_id = f"{cohort}-app-{i}"
    received = ApplicationReceived(
        application_id=application_id,
        submission_id=f"sub-{i}",
        submitted_by="/bench",
        program_code=PROGRAM,
        cohort_code=cohort,
        startup_name=f"Bench startup {i}",
        contact=Contact.model_validate(
            {"name": "Founder", "email": f"founder{i}@startup.example", "locale": "en"}
        ),
    )
    accepted = ApplicationDecided(
        application_id=application_id,
        program_code=PROGRAM,
        cohort_code=cohort,
        startup_name=f"Bench startup {i}",
        business_registration_number=valid_brn(100_000_000 + i),
        decided_by="pm@hub.example",
        reason="selected",
        rank=i + 1,
    )
    return (
        new_event("application.received", received, cohort),
        new_event("application.accepted", accepted, cohort),
    )


def enrollment_event(cohort: str, i: int, n: int) -> CloudEvent:
    data = EnrollmentChanged(
        enrollment_id=f"enr-{i}",
        application_id=f"{cohort}-app-{i}",
        program_code=PROGRAM,
        cohort_code=cohort,
        startup_name=f"Bench startup {i}",
        status="confirmed",
        seats=n,
        seats_taken=i + 1,
    )
    return new_event("enrollment.confirmed", data, cohort)


async def kind_run(
    consumer: EventConsumer, counter: StatementCount, kind: str, records: list[ConsumerRecord]
) -> KindRun:
    counter.count = 0
    cpu, began = time.process_time(), time.perf_counter()
    for start in range(0, len(records), BATCH):
        await consumer.handle_batch(records[start : start + BATCH])
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    return KindRun(kind, len(records), seconds, cpu, counter.count)


async def notify_run(
    pool: asyncpg.Pool, consumers: dict[str, EventConsumer], counter: StatementCount, n: int
) -> list[KindRun]:
    await pool.execute("TRUNCATE deliveries, delivery_attempts, cohorts, applicants, inbox")
    cohort = f"bench-{n}"
    await consumers["notifications.catalog"].handle_record(
        as_record(topics.PROGRAMS_CATALOG, cohort_event(cohort, n), 0)
    )
    pairs = [lifecycle_events(cohort, i) for i in range(n)]
    lifecycle, enrollments = topics.APPLICATIONS_LIFECYCLE, topics.PROGRAMS_ENROLLMENTS
    kinds = [
        ("application.received", lifecycle, [received for received, _ in pairs]),
        ("application.accepted", lifecycle, [accepted for _, accepted in pairs]),
        ("enrollment.confirmed", enrollments, [enrollment_event(cohort, i, n) for i in range(n)]),
    ]
    runs = []
    for offset, (kind, topic, events) in enumerate(kinds):
        group = "enrollments" if topic == enrollments else "lifecycle"
        consumer = consumers[f"notifications.{group}"]
        records = [as_record(topic, e, offset * n + i) for i, e in enumerate(events)]
        runs.append(await kind_run(consumer, counter, kind, records))
    return runs


async def notify_stage(endpoints: StackEndpoints, sizes: list[int]) -> list[KindRun]:
    dsn = await scratch_database_url(endpoints, ROLE)
    pool = await create_pool(dsn, max_size=1)
    try:
        await apply_migrations(pool, "aihub_notifications")
        counter = StatementCount()
        async with pool.acquire() as conn:
            conn.add_query_logger(counter)
        settings = Settings.model_validate(
            {
                "NOTIFICATIONS_DATABASE_URL": dsn,
                "OIDC_ISSUER_URL": "http://127.0.0.1:9/realms/unused",
                **UNUSED_KAFKA_LOGIN,
            }
        )
        retry = RetryPolicy()
        consumers = {spec.name: spec.build(pool, retry) for spec in definition(settings).consumers}
        return [run for n in sizes for run in await notify_run(pool, consumers, counter, n)]
    finally:
        await pool.close()


async def main(sizes: list[int]) -> None:
    from aihub_local.paths import state_dir_for_tests
    from aihub_local.stack import LocalStack

    log_as_service("notifications")
    endpoints = LocalStack(state_dir_for_tests(), fixed_ports=False).up()
    for run in await notify_stage(endpoints, sizes):
        print(
            f"{run.kind:<22} n={run.n:>6}: {run.rate:7,.0f}/s, {run.cpu_seconds:6.1f} CPU s,"
            f" {run.statements_per_batch:6.1f} statements per batch of {BATCH}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, action="append")
    asyncio.run(main(parser.parse_args().n or [2000]))
