"""Intake stage: `application.submitted` → stored application and receipt, through the
applications service's own intake consumer (decode, validate, inbox, eligibility, outbox) on the
test stack's real Postgres, in the batches the consumer gets from Kafka. Prints, per N: the
rate, the rate per CPU second of this process (steadier than the wall clock on a shared machine;
Postgres's share is not in it) and, as the raw limit of the same run, how fast the same records
are only decoded and validated against the contract. Asserts nothing.

    .venv/bin/python -m benchmarks.stage_intake [--n 1000 --n 10000]

It uses the scratch schema `applications_bench_test` (created if needed), never the service's.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from aiokafka import ConsumerRecord

from aihub_applications.adapters import catalog_replica
from aihub_applications.entrypoints.app import CONSUMERS
from aihub_local.stack import StackEndpoints
from aihub_local.testing import scratch_database_url, valid_brn
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.intake import ApplicationSubmitted
from aihub_shared.contracts.programs import CohortPublished
from aihub_shared.contracts.registry import contract
from aihub_shared.contracts.topics import INTAKE_APPLICATIONS
from aihub_shared.runtime.db import apply_migrations, create_pool
from aihub_shared.runtime.event_decoding import decode_record
from aihub_shared.runtime.retry import RetryPolicy
from benchmarks.stage_result import log_as_service, report

ROLE = "applications_bench_test"
BATCH = 200  # CONSUMER_BATCH_SIZE's default


async def open_cohort(pool: asyncpg.Pool, seats: int) -> CohortPublished:
    now = datetime.now(UTC)
    cohort = CohortPublished.model_validate(
        {
            "program_code": "bench-program",
            "program_name_ko": "벤치마크",
            "program_name_en": "Benchmark",
            "cohort_code": f"bench-{uuid.uuid4().hex[:10]}",
            "seats": seats,
            "application_opens_at": (now - timedelta(hours=1)).isoformat(),
            "application_closes_at": (now + timedelta(days=1)).isoformat(),
            "questions": [{"key": "why_now", "label_ko": "왜 지금?", "label_en": "Why now?"}],
            "program_managers": [{"name": "PM", "email": "pm@hub.example", "locale": "en"}],
        }
    )
    async with pool.acquire() as conn:
        await catalog_replica.replicate_cohort(conn, cohort, now)
    return cohort


def submitted_record(cohort: CohortPublished, i: int) -> ConsumerRecord:
    data = ApplicationSubmitted.model_validate(
        {
            "submission_id": f"{cohort.cohort_code}-{i}",
            "program_code": cohort.program_code,
            "cohort_code": cohort.cohort_code,
            "startup": {
                "name": f"Bench AI {i}",
                "business_registration_number": valid_brn(200_000_000 + i),
                "founded_on": "2023-05-02",
                "employees": 5,
                "ai_field": "vision",
            },
            "contact": {"name": "Bench", "email": f"founder{i}@bench.example", "locale": "ko"},
            "answers": {"why_now": "Pilots finished."},
            "consent_personal_info": True,
        }
    )
    event = CloudEvent.new(
        type=contract("application.submitted").type,
        source="/bench/portal",
        subject=data.submission_id,
        data=data,
    )
    now = int(datetime.now(UTC).timestamp() * 1000)
    return ConsumerRecord(INTAKE_APPLICATIONS, 0, i, now, 0, b"k", event.to_bytes(), None, 1, 1, [])


def decoding_rate(records: list[ConsumerRecord]) -> float:
    """The floor of intake's own work: decoding and validating the records against the contract,
    nothing else (same process, same run)."""
    began = time.perf_counter()
    for record in records:
        decode_record(record)
    return len(records) / (time.perf_counter() - began)


async def intake_run(pool: asyncpg.Pool, n: int) -> dict[str, float]:
    cohort = await open_cohort(pool, seats=n)
    consumer = CONSUMERS[0].build(pool, RetryPolicy())
    records = [submitted_record(cohort, i) for i in range(n)]
    began, cpu_began = time.perf_counter(), time.process_time()
    for start in range(0, n, BATCH):
        await consumer.handle_batch(records[start : start + BATCH])
    seconds = time.perf_counter() - began
    cpu_seconds = time.process_time() - cpu_began
    stored = await pool.fetchval(
        "SELECT count(*) FROM applications WHERE cohort_code = $1", cohort.cohort_code
    )
    if stored != n:
        raise RuntimeError(f"{stored} of {n} submissions stored")
    return {
        f"intake n={n}": n / seconds,
        # On a machine shared with other stacks the wall clock moves; this process's own CPU
        # time per submission moves far less (Postgres's share is not in it).
        f"intake n={n}, per CPU second of the consumer": n / cpu_seconds,
        f"raw: decoding only n={n}": decoding_rate(records),
    }


async def intake_stage(endpoints: StackEndpoints, sizes: list[int]) -> dict[str, float]:
    dsn = await scratch_database_url(endpoints, ROLE)
    pool = await create_pool(dsn, max_size=4)
    try:
        await apply_migrations(pool, "aihub_applications")
        figures: dict[str, float] = {}
        for n in sizes:
            figures |= await intake_run(pool, n)
        return figures
    finally:
        await pool.close()


async def main(sizes: list[int], as_json: bool) -> None:
    from aihub_local.paths import state_dir_for_tests
    from aihub_local.stack import LocalStack

    if as_json:
        log_as_service("applications")
    endpoints = LocalStack(state_dir_for_tests(), fixed_ports=False).up()
    figures = await intake_stage(endpoints, sizes)
    if as_json:
        report(figures)
        return
    for name, rate in figures.items():
        print(f"{name}: {rate:8,.0f}/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, action="append")
    parser.add_argument("--json", action="store_true", help="for pipeline.py")
    args = parser.parse_args()
    asyncio.run(main(args.n or [1000, 10000], args.json))
