"""The pipeline's stage rates against the raw limits of the same broker, Postgres and SMTP
capture, measured in the same run on the test stack the launcher starts. Prints one table;
asserts nothing.

    .venv/bin/python -m benchmarks.pipeline [--sizes 1000 10000] [--mails 2000]

Raw limits first: Kafka (produce then consume small records, the test principal), Postgres
(batched inserts into a scratch table) and SMTP (one aiosmtplib connection, messages built
beforehand). Then each stage runs the service's own code in a process of its own, logging as the
service does (JSON, INFO, to /dev/null here), so that its peak RSS is the service's under that
load: intake (applications' intake consumer), enrollment (programs' lifecycle consumer, a cohort
with N seats) and mail (notifications' mail sender, SMTP_CONNECTIONS 1 and 4). Last, the whole
pipeline as running services (`stage_pipeline.py`): N applications from submission to the last
mail through the three services the launcher starts, with each service's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from aihub_local.paths import state_dir_for_tests
from aihub_local.stack import LocalStack, StackEndpoints
from aihub_local.testing import scratch_database_url
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.notifications import EmailDelivered
from aihub_shared.contracts.registry import contract
from aihub_shared.contracts.topics import NOTIFICATIONS_DELIVERIES
from aihub_shared.contracts.topics_admin import ensure_topics
from benchmarks.stage_result import RESULT

HERE = Path(__file__).resolve().parent


def unread_event(i: int) -> bytes:
    """An `email.sent` of template `bench`: valid on the topic no service reads, and ignored by
    every test reading it (they look for their own correlation ids and templates)."""
    return CloudEvent.new(
        type=contract("email.sent").type,
        source="/bench",
        subject=f"bench-{i % 64}",
        data=EmailDelivered(
            delivery_id=f"bench-{i}",
            caused_by_event_id="bench",
            template="bench",
            recipient_masked="b***@bench.example",
            message_id=f"<bench-{i}@bench>",
        ),
    ).to_bytes()


async def raw_kafka(endpoints: StackEndpoints, n: int) -> float:
    """Records/s one aiokafka consumer reads from the broker (valid `email.sent` events, written
    first to `notifications.deliveries`, which no service reads)."""
    kafka = endpoints.kafka
    producer = AIOKafkaProducer(**kafka.aiokafka_options(), acks="all", linger_ms=5)
    await producer.start()
    try:
        partitions = await producer.partitions_for(NOTIFICATIONS_DELIVERIES)
        tp = TopicPartition(NOTIFICATIONS_DELIVERIES, min(partitions))
        value = unread_event(0)
        first = None
        for start in range(0, n, 1000):
            sent = [
                await producer.send(tp.topic, value, partition=tp.partition)
                for _ in range(min(1000, n - start))
            ]
            done = await asyncio.gather(*sent)
            first = done[0].offset if first is None else first
    finally:
        await producer.stop()
    # Assigned by hand, no group: a brand-new broker's group coordinator is not needed (nor
    # waited for) to read a partition from an offset.
    consumer = AIOKafkaConsumer(**kafka.aiokafka_options(), group_id=None)
    await consumer.start()
    try:
        consumer.assign([tp])
        consumer.seek(tp, first or 0)
        began, read = time.perf_counter(), 0
        while read < n:
            batch = await consumer.getmany(tp, timeout_ms=1000, max_records=5000)
            read += sum(len(records) for records in batch.values())
        return read / (time.perf_counter() - began)
    finally:
        await consumer.stop()


async def raw_postgres(endpoints: StackEndpoints, n: int) -> float:
    """Rows/s inserted in batches of 1,000 (one unnest INSERT each), committed per batch."""
    conn = await asyncpg.connect(await scratch_database_url(endpoints, "kit_bench_test"))
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_rows (id uuid PRIMARY KEY, body text NOT NULL)"
        )
        await conn.execute("TRUNCATE bench_rows")
        body = "x" * 200
        began = time.perf_counter()
        for start in range(0, n, 1000):
            ids = [uuid.uuid4() for _ in range(min(1000, n - start))]
            await conn.execute("INSERT INTO bench_rows SELECT unnest($1::uuid[]), $2", ids, body)
        return n / (time.perf_counter() - began)
    finally:
        await conn.close()


def run_stage(script: str, *args: str) -> dict[str, float]:
    """One stage in a process of its own, logging as the service does (JSON lines, read and
    dropped here): its figures, its peak RSS (`rss_mib`) included."""
    child = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{script.removesuffix('.py')}", "--json", *args],
        capture_output=True,
        cwd=HERE.parent,
        text=True,
        check=False,
    )
    found = [line for line in child.stdout.splitlines() if line.startswith(RESULT)]
    if child.returncode or not found:
        raise RuntimeError(f"{script} failed ({child.returncode}): {child.stderr[-2000:]}")
    figures: dict[str, float] = json.loads(found[-1].removeprefix(RESULT))
    return figures


def table(rows: list[tuple[str, str, str, str, str]]) -> str:
    head = ("stage", "rate", "raw limit of the resource, same run", "ratio", "peak RSS")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = [
        "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"
        for row in [head, *rows]
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def rate(value: float, unit: str = "/s") -> str:
    return f"{value:,.0f}{unit}"


def whole_pipeline_row(whole: dict[str, float], n: int) -> tuple[str, str, str, str, str]:
    """N applications through the running services: the rate from the first submission to the
    last mail, when each stage's last row was written, and each service's peak RSS."""
    mailed = whole[f"pipeline n={n} mailed"]
    stages = (
        f"last receipt {whole[f'pipeline n={n} received']:.0f} s,"
        f" enrollment {whole[f'pipeline n={n} enrolled']:.0f} s,"
        f" mail {mailed:.0f} s ({whole[f'pipeline n={n} mails']:,.0f} mails)"
    )
    rss = " / ".join(
        f"{whole[f'rss {name}']:.0f}" for name in ("applications", "programs", "notifications")
    )
    return (
        f"whole pipeline N={n:,}, running services, SMTP_CONNECTIONS="
        f"{whole['smtp connections']:.0f}: {stages}",
        rate(n / mailed),
        "",
        "",
        f"{rss} MiB",
    )


async def main(sizes: list[int], mails: int) -> None:
    endpoints = LocalStack(state_dir_for_tests(), fixed_ports=False).up()
    await ensure_topics(endpoints.kafka_as("ops"))
    kafka = await raw_kafka(endpoints, max(sizes) * 2)
    postgres = await raw_postgres(endpoints, max(sizes) * 5)
    ns = [arg for n in sizes for arg in ("--n", str(n))]
    intake = run_stage("stage_intake.py", *ns)
    enrollment = run_stage("stage_enrollment.py", *ns)
    mail = run_stage("stage_mail.py", "--n", str(mails), "--connections", "1", "--connections", "4")
    try:
        whole = run_stage("stage_pipeline.py", *ns)
    except RuntimeError as exc:  # the other stages' figures still print, with the reason
        whole = {"failed": 1.0}
        print(f"whole pipeline: {exc}", file=sys.stderr)
    smtp = mail["raw SMTP (aiosmtplib, 1 connection)"]
    rows = [
        ("raw: Kafka consume (email.sent events)", rate(kafka), "", "", ""),
        ("raw: Postgres inserts, batches of 1,000", rate(postgres, " rows/s"), "", "", ""),
        ("raw: SMTP, one aiosmtplib connection", rate(smtp), "", "", ""),
    ]
    for n in sizes:
        got = intake[f"intake n={n}"]
        rows.append(
            (
                f"intake N={n:,}",
                rate(got),
                f"Kafka {rate(kafka)}",
                f"{got / kafka:.4f}",
                f"{intake['rss_mib']:.0f} MiB",
            )
        )
    for n in sizes:
        got = enrollment[f"enrollment n={n}"]
        quarters = (
            f" (first quarter {rate(enrollment[f'enrollment n={n} first quarter'])},"
            f" last {rate(enrollment[f'enrollment n={n} last quarter'])})"
        )
        rows.append(
            (
                f"enrollment N={n:,}{quarters}",
                rate(got),
                f"Postgres {rate(postgres, ' rows/s')}",
                f"{got / postgres:.4f}",
                f"{enrollment['rss_mib']:.0f} MiB",
            )
        )
    first, last = (enrollment[f"enrollment n={n}"] for n in (min(sizes), max(sizes)))
    rows.append(
        (f"enrollment N={max(sizes):,} / N={min(sizes):,}", f"{last / first:.2f}", "", "", "")
    )
    for connections in (1, 4):
        got = mail[f"mail SMTP_CONNECTIONS={connections}"]
        rows.append(
            (
                f"mail N={mails:,}, SMTP_CONNECTIONS={connections}",
                rate(got),
                f"SMTP {rate(smtp)}",
                f"{got / smtp:.2f}",
                f"{mail['rss_mib']:.0f} MiB",
            )
        )
    for n in sizes:
        rows.append(
            whole_pipeline_row(whole, n)
            if "failed" not in whole
            else (f"whole pipeline N={n:,}, running services", "failed (see stderr)", "", "", "")
        )
    print(
        f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()},"
        f" load average {os.getloadavg()[0]:.1f} at the end"
    )
    print(table(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--mails", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(main(args.sizes, args.mails))
