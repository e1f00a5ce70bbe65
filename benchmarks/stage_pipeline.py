"""The whole pipeline as running services: N applications from submission to the last mail,
through the three services started as OS processes by the launcher (as `./dev up` and the
end-to-end tests start them) on the test stack's Kafka, Postgres and Keycloak. Prints figures
and each service's peak RSS; asserts nothing.

    .venv/bin/python -m benchmarks.stage_pipeline [--n 1000 --n 10000]

For each N: a fresh program with one cohort of N seats (through the programs service's own
seeding), N `application.submitted` published as a portal does, the committee's bulk decision
accepting all of them in rank order over HTTP (500 per request, the API's limit), and then
nothing but waiting: every application enrolled, every mail sent. The mails go to an SMTP
capture of the benchmark's own (the test stack's mailbox, which the tests read, sees none).
Times come from the rows the services wrote (the last `created_at` or `sent_at`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer

from aihub_local.platform import PlatformServices, seed_catalog
from aihub_local.stack import StackEndpoints
from aihub_local.testing import valid_brn
from aihub_shared.contracts.registry import contract
from aihub_shared.contracts.topics import INTAKE_APPLICATIONS
from aihub_shared.contracts.topics_admin import ensure_topics
from aihub_shared.runtime.db import create_pool
from benchmarks.stage_mail import smtp_capture
from benchmarks.stage_result import report

#: The bulk decision's largest request (`BulkDecisions.decisions`' max_length).
DECISIONS_PER_REQUEST = 500
POLL_SECONDS = 0.5
STALLED_SECONDS = 120
SENDER_PROGRESS = "(SELECT count(*) FROM deliveries WHERE status <> 'pending') AS progress"
SERVICES = ("applications", "programs", "notifications")
#: The notifications service's SMTP connections, as compose and k8s deploy it (the launcher's
#: dev default is 1); `--smtp-connections` chooses.
DEPLOYED_SMTP_CONNECTIONS = 4


@dataclass(frozen=True)
class PipelineRun:
    n: int
    #: Seconds from the first submission to the last receipt, the last enrollment, the last mail.
    received: float
    enrolled: float
    mailed: float
    mails: int


def submission(program: str, cohort: str, i: int) -> bytes:
    document = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "/bench/portal",
        "type": contract("application.submitted").type,
        "subject": f"{cohort}-{i}",
        "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json",
        "data": {
            "submission_id": f"{cohort}-{i}",
            "program_code": program,
            "cohort_code": cohort,
            "startup": {
                "name": f"Bench AI {i}",
                "business_registration_number": valid_brn(300_000_000 + i),
                "founded_on": "2023-05-02",
                "employees": 5,
                "ai_field": "vision",
            },
            "contact": {"name": "Bench", "email": f"founder{i}@bench.example", "locale": "ko"},
            "answers": {},
            "consent_personal_info": True,
        },
    }
    return json.dumps(document).encode()


def catalog_file(directory: Path, program: str, cohort: str, seats: int) -> Path:
    now = time.time()
    opens = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 3600))
    closes = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 86400))
    catalog = {
        "programs": [
            {
                "code": program,
                "name_ko": "벤치마크",
                "name_en": "Benchmark",
                "program_managers": [
                    {"name": "PM", "email": f"pm-{program}@hub.example", "locale": "en"}
                ],
                "cohorts": [
                    {
                        "code": cohort,
                        "seats": seats,
                        "application_opens_at": opens,
                        "application_closes_at": closes,
                    }
                ],
            }
        ]
    }
    path = directory / f"{program}.json"
    path.write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")
    return path


async def wait_for(pool: asyncpg.Pool, sql: str, *args: object, expected: int) -> None:
    """Poll `sql` until its `done` reaches `expected`: the rows are the only signal that a
    service is done. Its `progress` (`done` unless the query says otherwise: what moves while
    `done` waits its turn) not moving for `STALLED_SECONDS` ends the run."""
    seen, moved = None, time.monotonic()
    while True:
        row = await pool.fetchrow(sql, *args)
        assert row is not None  # counts answer one row
        if row["done"] >= expected:
            return
        progress = row.get("progress", row["done"])
        if progress != seen:
            seen, moved = progress, time.monotonic()
        elif time.monotonic() - moved > STALLED_SECONDS:
            raise RuntimeError(f"stuck at {row['done']} of {expected}: {sql}")
        await asyncio.sleep(POLL_SECONDS)


async def publish_all(endpoints: StackEndpoints, program: str, cohort: str, n: int) -> None:
    producer = AIOKafkaProducer(**endpoints.kafka.aiokafka_options(), acks="all", linger_ms=5)
    await producer.start()
    try:
        for start in range(0, n, 1000):
            sent = [
                await producer.send(
                    INTAKE_APPLICATIONS,
                    submission(program, cohort, i),
                    key=f"{cohort}-{i}".encode(),
                )
                for i in range(start, min(start + 1000, n))
            ]
            await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def decide_all(platform: PlatformServices, ids: list[str]) -> None:
    headers = {"Authorization": f"Bearer {platform.admin_token()}"}
    async with httpx.AsyncClient(
        base_url=platform.url("applications"), headers=headers, timeout=120
    ) as client:
        for start in range(0, len(ids), DECISIONS_PER_REQUEST):
            decisions = [
                {"application_id": app_id, "outcome": "accepted", "rank": rank}
                for rank, app_id in enumerate(
                    ids[start : start + DECISIONS_PER_REQUEST], start=start + 1
                )
            ]
            answer = await client.post(
                "/applications/decisions",
                json={"reason": "Benchmark committee", "decisions": decisions},
            )
            if answer.status_code != 200:
                raise RuntimeError(f"bulk decision refused: {answer.status_code} {answer.text}")


async def pipeline_run(platform: PlatformServices, n: int) -> PipelineRun:
    endpoints = platform.endpoints
    program = f"bench-{uuid.uuid4().hex[:8]}"
    cohort = f"{program}-c"
    with tempfile.TemporaryDirectory(prefix="aihub-bench-catalog-") as directory:
        seed_catalog(endpoints, catalog_file(Path(directory), program, cohort, seats=n))
    pools = {
        name: await create_pool(endpoints.service_database_url(name), max_size=2)
        for name in SERVICES
    }
    try:
        applications, programs, notifications = (pools[name] for name in SERVICES)
        await wait_for(
            applications,
            "SELECT count(*) AS done FROM cohorts WHERE cohort_code = $1",
            cohort,
            expected=1,
        )
        began = time.time()
        await publish_all(endpoints, program, cohort, n)
        await wait_for(
            applications,
            "SELECT count(*) AS done FROM applications WHERE cohort_code = $1",
            cohort,
            expected=n,
        )
        ids = [
            r["id"]
            for r in await applications.fetch(
                "SELECT id::text FROM applications WHERE cohort_code = $1 ORDER BY created_at",
                cohort,
            )
        ]
        await decide_all(platform, ids)
        await wait_for(
            programs,
            "SELECT count(*) FILTER (WHERE status = 'confirmed') AS done, count(*) AS progress"
            " FROM enrollments WHERE cohort_code = $1",
            cohort,
            expected=n,
        )
        # One mail per enrollment to the applicant is among the last to be queued; then every
        # mail of the program has left once none of them is pending. Whatever the sender sends
        # meanwhile (mails queued before them, of any program) is the progress.
        await wait_for(
            notifications,
            "SELECT count(*) FILTER (WHERE template = 'enrollment_confirmed_applicant'"  # noqa: S608 — a constant
            f" AND status = 'sent') AS done, {SENDER_PROGRESS}"
            " FROM deliveries WHERE program_code = $1",
            program,
            expected=n,
        )
        await wait_for(
            notifications,
            "SELECT -count(*) FILTER (WHERE status = 'pending') AS done,"  # noqa: S608 — a constant
            f" {SENDER_PROGRESS} FROM deliveries WHERE program_code = $1",
            program,
            expected=0,
        )
        received = await applications.fetchval(
            "SELECT extract(epoch FROM max(created_at)) FROM applications WHERE cohort_code = $1",
            cohort,
        )
        enrolled = await programs.fetchval(
            "SELECT extract(epoch FROM max(updated_at)) FROM enrollments WHERE cohort_code = $1",
            cohort,
        )
        last = await notifications.fetchrow(
            "SELECT extract(epoch FROM max(sent_at)) AS mailed, count(*) AS mails"
            " FROM deliveries WHERE program_code = $1",
            program,
        )
        assert last is not None  # an aggregate answers one row
        return PipelineRun(
            n,
            float(received) - began,
            float(enrolled) - began,
            float(last["mailed"]) - began,
            int(last["mails"]),
        )
    finally:
        for pool in pools.values():
            await pool.close()


def peak_rss_mib(platform: PlatformServices) -> dict[str, float]:
    """Each service process's peak resident set (VmHWM), in MiB."""
    peaks = {}
    for name in SERVICES:
        pid = platform.process(name).pid
        status = Path(f"/proc/{pid}/status").read_text()
        (line,) = [x for x in status.splitlines() if x.startswith("VmHWM:")]
        peaks[name] = int(line.split()[1]) / 1024
    return peaks


async def pipeline_stage(
    endpoints: StackEndpoints, sizes: list[int], smtp_connections: int
) -> tuple[list[PipelineRun], dict[str, float]]:
    await ensure_topics(endpoints.kafka_as("ops"))
    log_dir = endpoints.state_dir / "logs" / "bench-services"
    log_dir.mkdir(parents=True, exist_ok=True)
    with smtp_capture() as (host, port):
        platform = PlatformServices(endpoints, log_dir=log_dir)
        try:
            for service in SERVICES:
                platform.start(
                    service,
                    extra_env={
                        "SMTP_HOST": host,
                        "SMTP_PORT": str(port),
                        "SMTP_CONNECTIONS": str(smtp_connections),
                    },
                )
            runs = [await pipeline_run(platform, n) for n in sizes]
            return runs, peak_rss_mib(platform)
        finally:
            platform.stop_all()


async def main(sizes: list[int], as_json: bool, smtp_connections: int) -> None:
    from aihub_local.paths import state_dir_for_tests
    from aihub_local.stack import LocalStack

    endpoints = LocalStack(state_dir_for_tests(), fixed_ports=False).up()
    runs, peaks = await pipeline_stage(endpoints, sizes, smtp_connections)
    if as_json:
        figures = {f"rss {name}": mib for name, mib in peaks.items()}
        figures["smtp connections"] = smtp_connections
        for run in runs:
            figures |= {
                f"pipeline n={run.n} received": run.received,
                f"pipeline n={run.n} enrolled": run.enrolled,
                f"pipeline n={run.n} mailed": run.mailed,
                f"pipeline n={run.n} mails": run.mails,
            }
        report(figures)
        return
    for run in runs:
        print(
            f"pipeline n={run.n:>6}: last receipt {run.received:6.1f} s, last enrollment"
            f" {run.enrolled:6.1f} s, last of {run.mails:,} mails {run.mailed:6.1f} s"
            f" (SMTP_CONNECTIONS={smtp_connections})"
        )
    print("peak RSS: " + ", ".join(f"{name} {mib:.0f} MiB" for name, mib in peaks.items()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, action="append")
    parser.add_argument("--json", action="store_true", help="for pipeline.py")
    parser.add_argument("--smtp-connections", type=int, default=DEPLOYED_SMTP_CONNECTIONS)
    args = parser.parse_args()
    asyncio.run(main(args.n or [1000, 10000], args.json, args.smtp_connections))
