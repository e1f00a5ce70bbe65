"""Decision stage: the committee's bulk decisions (`decide_many`, behind
`POST /applications/decisions`, requests of 500 as the whole-pipeline benchmark sends them), then
programs' word on the seats (`enrollment.confirmed`) followed by applications' enrollment
consumer, in the batches the consumer gets from Kafka — in process, on the test stack's real
Postgres. The cohort's N applications are taken in first through the service's own intake
consumer. Prints, per N: seconds per bulk request, the statements each request sends to Postgres
(each one a round trip that waits for a busy backend), the enrollments followed per second and
the statements per consumer batch. Asserts nothing.

    .venv/bin/python -m benchmarks.stage_decisions [--n 2000]

It uses the scratch schema `applications_bench_test` (as `stage_intake`), never the service's.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any, TypeVar

import asyncpg
from aiokafka import ConsumerRecord

from aihub_applications.entrypoints.app import CONSUMERS
from aihub_applications.service_layer.decisions import Decision, decide_many
from aihub_local.stack import StackEndpoints
from aihub_local.testing import scratch_database_url
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import CohortPublished, EnrollmentChanged
from aihub_shared.contracts.registry import contract
from aihub_shared.contracts.topics import PROGRAMS_ENROLLMENTS
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.db import apply_migrations, create_pool
from aihub_shared.runtime.logging import configure_logging
from aihub_shared.runtime.retry import RetryPolicy
from benchmarks.stage_intake import BATCH, ROLE, open_cohort, submitted_record

#: The bulk decision's largest request, as `stage_pipeline` sends them.
REQUEST = 500
COMMITTEE = StaffPrincipal("bench-admin@hub.example", "Bench admin", Role.ADMIN)
T = TypeVar("T")


class Statements:
    """Counts the statements the pool's one connection runs (`max_size=1`: every use case of
    this process goes through it)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, record: Any) -> None:
        self.count += 1

    async def attach(self, pool: asyncpg.Pool) -> None:
        async with pool.acquire() as conn:
            conn.add_query_logger(self)

    async def counting(self, work: Awaitable[T]) -> tuple[T, int, float]:
        """The work's result, its statements and its wall seconds."""
        before, began = self.count, time.perf_counter()
        result = await work
        return result, self.count - before, time.perf_counter() - began


async def received_cohort(pool: asyncpg.Pool, n: int) -> tuple[CohortPublished, list[uuid.UUID]]:
    """A cohort of n received applications, taken in by the intake consumer; oldest first."""
    cohort = await open_cohort(pool, seats=n)
    intake = CONSUMERS[0].build(pool, RetryPolicy())
    records = [submitted_record(cohort, i) for i in range(n)]
    for start in range(0, n, BATCH):
        await intake.handle_batch(records[start : start + BATCH])
    rows = await pool.fetch(
        "SELECT id FROM applications WHERE cohort_code = $1 ORDER BY created_at, id",
        cohort.cohort_code,
    )
    if len(rows) != n:
        raise RuntimeError(f"{len(rows)} of {n} submissions stored")
    return cohort, [r["id"] for r in rows]


def confirmed_record(cohort: CohortPublished, application_id: uuid.UUID, i: int) -> ConsumerRecord:
    data = EnrollmentChanged(
        enrollment_id=str(uuid.uuid4()),
        application_id=str(application_id),
        program_code=cohort.program_code,
        cohort_code=cohort.cohort_code,
        startup_name=f"Bench AI {i}",
        status="confirmed",
        rank=i + 1,
        seats=cohort.seats,
        seats_taken=i + 1,
    )
    event = CloudEvent.new(
        type=contract("enrollment.confirmed").type,
        source="/services/programs",
        subject=cohort.cohort_code,
        data=data,
    )
    now = int(datetime.now(UTC).timestamp() * 1000)
    return ConsumerRecord(
        PROGRAMS_ENROLLMENTS, 0, i, now, 0, b"k", event.to_bytes(), None, 1, 1, []
    )


async def decisions_run(pool: asyncpg.Pool, statements: Statements, n: int) -> dict[str, float]:
    cohort, ids = await received_cohort(pool, n)
    seconds, counts = [], []
    cpu_began = time.process_time()
    for start in range(0, n, REQUEST):
        decisions = [
            Decision(app_id, "accepted", rank)
            for rank, app_id in enumerate(ids[start : start + REQUEST], start=start + 1)
        ]
        _, count, took = await statements.counting(
            decide_many(pool, decisions, reason="Bench committee", staff=COMMITTEE)
        )
        seconds.append(took)
        counts.append(count)
    decided_cpu = time.process_time() - cpu_began
    enrollments = CONSUMERS[[c.name for c in CONSUMERS].index("applications.enrollments")].build(
        pool, RetryPolicy()
    )
    records = [confirmed_record(cohort, app_id, i) for i, app_id in enumerate(ids)]
    batch_counts = []
    began, cpu_began = time.perf_counter(), time.process_time()
    for start in range(0, n, BATCH):
        _, count, _ = await statements.counting(
            enrollments.handle_batch(records[start : start + BATCH])
        )
        batch_counts.append(count)
    followed = time.perf_counter() - began
    followed_cpu = time.process_time() - cpu_began
    enrolled = await pool.fetchval(
        "SELECT count(*) FROM applications WHERE cohort_code = $1 AND status = 'enrolled'",
        cohort.cohort_code,
    )
    if enrolled != n:
        raise RuntimeError(f"{enrolled} of {n} applications enrolled")
    return {
        f"decide_many n={n}: seconds per request of {REQUEST}": statistics.mean(seconds),
        f"decide_many n={n}: statements per request of {REQUEST}": statistics.mean(counts),
        f"decide_many n={n}: decisions per CPU second of this process": n / decided_cpu,
        f"follow_enrollment n={n}: enrollments per second": n / followed,
        f"follow_enrollment n={n}: enrollments per CPU second of this process": n / followed_cpu,
        f"follow_enrollment n={n}: statements per batch of {BATCH}": statistics.mean(batch_counts),
    }


async def decisions_stage(endpoints: StackEndpoints, sizes: list[int]) -> dict[str, float]:
    dsn = await scratch_database_url(endpoints, ROLE)
    pool = await create_pool(dsn, max_size=1)
    try:
        await apply_migrations(pool, "aihub_applications")
        statements = Statements()
        await statements.attach(pool)
        figures: dict[str, float] = {}
        for n in sizes:
            figures |= await decisions_run(pool, statements, n)
        return figures
    finally:
        await pool.close()


async def main(sizes: list[int]) -> None:
    from aihub_local.paths import state_dir_for_tests
    from aihub_local.stack import LocalStack

    configure_logging("applications", level="WARNING", json=False)  # not a line per batch
    endpoints = LocalStack(state_dir_for_tests(), fixed_ports=False).up()
    for name, figure in (await decisions_stage(endpoints, sizes)).items():
        print(f"{name}: {figure:10,.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, action="append")
    args = parser.parse_args()
    asyncio.run(main(args.n or [2000]))
