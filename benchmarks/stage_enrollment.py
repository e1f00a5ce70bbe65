"""Enrollment stage: bulk `application.accepted` → `enrollment.confirmed`, through the programs
service's own lifecycle consumer (decode, inbox, seat decision, outbox) on the test stack's real
Postgres, in the batches the consumer gets from Kafka: a bulk decision's acceptances of one cohort
in rank order, so each batch is one run for the consumer's batch handler. Prints figures; asserts
nothing.

    .venv/bin/python -m benchmarks.stage_enrollment [--n 1000 --n 10000] [--waitlist]

`--waitlist` also runs each N into a cohort of N/10 seats: nine acceptances in ten are
waitlisted, each counting its place among those already waiting.

It uses the scratch schema `programs_bench_test` (created if needed), never the service's.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
from aiokafka import ConsumerRecord

from aihub_local.stack import StackEndpoints
from aihub_local.testing import scratch_database_url, valid_brn
from aihub_programs.domain.catalog import CohortSpec, ProgramSpec
from aihub_programs.entrypoints.app import CONSUMERS
from aihub_programs.service_layer.catalog import create_cohort, create_program
from aihub_shared.contracts.applications import ApplicationDecided
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.registry import contract
from aihub_shared.contracts.topics import APPLICATIONS_LIFECYCLE
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.db import apply_migrations, create_pool
from aihub_shared.runtime.retry import RetryPolicy
from benchmarks.stage_result import log_as_service, report

ROLE = "programs_bench_test"
PROGRAM = "bench-program"
BATCH = 200  # CONSUMER_BATCH_SIZE's default
ADMIN = StaffPrincipal(id="bench@hub.example", name="Bench", role=Role.ADMIN)


@dataclass(frozen=True)
class EnrollmentRun:
    n: int
    seats: int
    seconds: float
    first_quarter_rate: float
    last_quarter_rate: float

    @property
    def rate(self) -> float:
        return self.n / self.seconds


def accepted_record(cohort: str, i: int, offset: int) -> ConsumerRecord:
    data = ApplicationDecided(
        application_id=f"{cohort}-app-{i}",
        program_code=PROGRAM,
        cohort_code=cohort,
        startup_name=f"Bench startup {i}",
        business_registration_number=valid_brn(100_000_000 + i),
        decided_by="bench@hub.example",
        reason="selected",
        rank=i + 1,
    )
    event = CloudEvent.new(
        type=contract("application.accepted").type,
        source="/bench",
        subject=data.application_id,
        data=data,
    )
    now = int(datetime.now(UTC).timestamp() * 1000)
    return ConsumerRecord(
        APPLICATIONS_LIFECYCLE, 0, offset, now, 0, b"k", event.to_bytes(), None, 1, 1, []
    )


async def fresh_cohort(pool: asyncpg.Pool, code: str, seats: int) -> None:
    await pool.execute("TRUNCATE kpi_reports, enrollments, cohorts, programs, outbox, inbox")
    await create_program(
        pool,
        ProgramSpec.model_validate(
            {
                "code": PROGRAM,
                "name_ko": "벤치마크",
                "name_en": "Benchmark",
                "program_managers": [{"name": "PM", "email": "pm@hub.example", "locale": "en"}],
            }
        ),
    )
    now = datetime.now(UTC)
    spec = CohortSpec.model_validate(
        {
            "code": code,
            "seats": seats,
            "application_opens_at": now - timedelta(days=1),
            "application_closes_at": now + timedelta(days=30),
        }
    )
    await create_cohort(pool, PROGRAM, spec, staff=ADMIN)


async def enrollment_run(pool: asyncpg.Pool, n: int, seats: int) -> EnrollmentRun:
    """`n` acceptances into a fresh cohort of `seats` seats (ranked, best first)."""
    cohort = f"bench-{n}"
    await fresh_cohort(pool, cohort, seats)
    consumer = CONSUMERS[0].build(pool, RetryPolicy())
    records = [accepted_record(cohort, i, i) for i in range(n)]
    quarter = max(n // 4, 1)
    marks: list[float] = []
    began = time.perf_counter()
    for start in range(0, n, BATCH):
        await consumer.handle_batch(records[start : start + BATCH])
        marks.append(time.perf_counter())
    seconds = time.perf_counter() - began
    confirmed = await pool.fetchval("SELECT count(*) FROM enrollments WHERE status = 'confirmed'")
    if confirmed != min(n, seats):
        raise RuntimeError(f"{confirmed} confirmed of {n} accepted into {seats} seats")
    batches_per_quarter = max(quarter // BATCH, 1)
    first = marks[batches_per_quarter - 1] - began
    last = marks[-1] - marks[-1 - batches_per_quarter]
    done = batches_per_quarter * BATCH
    return EnrollmentRun(n, seats, seconds, done / first, done / last)


async def enrollment_stage(
    endpoints: StackEndpoints, sizes: list[int], *, waitlist: bool = False
) -> list[EnrollmentRun]:
    dsn = await scratch_database_url(endpoints, ROLE)
    pool = await create_pool(dsn, max_size=4)
    seats = [(n, n) for n in sizes] + ([(n, n // 10) for n in sizes] if waitlist else [])
    try:
        await apply_migrations(pool, "aihub_programs")
        return [await enrollment_run(pool, n, seats=s) for n, s in seats]
    finally:
        await pool.close()


async def main(sizes: list[int], as_json: bool, waitlist: bool) -> None:
    from aihub_local.paths import state_dir_for_tests
    from aihub_local.stack import LocalStack

    if as_json:
        log_as_service("programs")
    endpoints = LocalStack(state_dir_for_tests(), fixed_ports=False).up()
    runs = await enrollment_stage(endpoints, sizes, waitlist=waitlist)
    if as_json:
        figures = {}
        for run in runs:
            name = f"enrollment n={run.n}" + ("" if run.seats == run.n else f" seats={run.seats}")
            figures[name] = run.rate
            figures[f"{name} first quarter"] = run.first_quarter_rate
            figures[f"{name} last quarter"] = run.last_quarter_rate
        report(figures)
        return
    for run in runs:
        print(
            f"enrollment n={run.n:>6}, seats {run.seats:>6}: {run.rate:8,.0f}/s"
            f" (first quarter {run.first_quarter_rate:,.0f}/s,"
            f" last quarter {run.last_quarter_rate:,.0f}/s)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, action="append")
    parser.add_argument("--json", action="store_true", help="for pipeline.py")
    parser.add_argument("--waitlist", action="store_true", help="also into N/10 seats")
    args = parser.parse_args()
    asyncio.run(main(args.n or [1000, 10000], args.json, args.waitlist))
