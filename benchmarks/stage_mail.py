"""Mail stage: pending deliveries → `email.sent`, through the notifications service's own mail
sender (claim, attempt record, SMTP, mark, outbox) against the test stack's Postgres and the
launcher's SMTP capture; and the raw limit: one aiosmtplib connection sending the same messages
(built beforehand, as the service queues them) to the same server. Prints figures; asserts
nothing.

    .venv/bin/python -m benchmarks.stage_mail [--n 2000] [--connections 1 ...] [--rounds 3]

It uses the scratch schema `notifications_bench_test` (created if needed), and its own instance
of the launcher's SMTP capture (`aihub_local.smtp_capture`, same program, a temporary Maildir):
the test stack's mailbox, which the tests read, never sees a benchmark mail.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import aiosmtplib
import asyncpg

from aihub_local.platform import free_port
from aihub_local.stack import StackEndpoints
from aihub_local.testing import scratch_database_url
from aihub_notifications.adapters.deliveries import NewDelivery, insert_deliveries
from aihub_notifications.adapters.message import parse_sender, sender_header
from aihub_notifications.adapters.smtp import SmtpConfig
from aihub_notifications.domain.deliveries import message_id
from aihub_notifications.service_layer.mailing import with_queued_message
from aihub_notifications.service_layer.sender import SenderConfig, mail_senders
from aihub_shared.runtime.db import apply_migrations, create_pool
from aihub_shared.runtime.wakeup import Wakeup
from benchmarks.stage_result import log_as_service, report

ROLE = "notifications_bench_test"
MAIL_FROM = "서울AI허브 <no-reply@seoulaihub.kr>"
DOMAIN = "bench.example"
SUBJECT = "[서울AI허브] 사이버밸리 배치 프로그램 선정 안내 / Selected for the batch program"
TEXT = "안녕하세요. 선정을 축하드립니다.\n\nCongratulations on your selection.\n" * 20
HTML = f"<html><body><p>{TEXT.replace(chr(10), '<br>')}</p></body></html>"


@dataclass(frozen=True)
class MailRun:
    label: str
    n: int
    seconds: float
    #: This process's CPU time over the run (the sender's Python: what it costs the service's
    #: one process per mail, whatever the machine's load did to the wall-clock rate).
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.n / self.seconds

    @property
    def cpu_ms_per_mail(self) -> float:
        return 1000 * self.cpu_seconds / self.n


def delivery(i: int) -> NewDelivery:
    """A pending delivery as the service queues it: its message built (see `queued_message`)."""
    identity = uuid.uuid4()
    return with_queued_message(
        NewDelivery(
            id=identity,
            event_id=f"bench-{identity}",
            event_type="kr.seoul.aihub.enrollment.confirmed.v1",
            correlation_id=None,
            template="enrollment_confirmed",
            locale="ko",
            recipient=f"founder-{i}@{DOMAIN}",
            recipient_name=f"창업자 {i}",
            subject=SUBJECT,
            body_text=TEXT,
            body_html=HTML,
            message_id=message_id(identity),
        )
    )


async def raw_smtp(host: str, port: int, n: int) -> MailRun:
    """The server's limit for one client: one connection, the same messages built beforehand
    (as the service queues them), sent as bytes."""
    from_header = sender_header(parse_sender(MAIL_FROM))
    messages = []
    for i in range(n):
        d = delivery(i)
        assert d.message is not None
        messages.append((from_header + d.message, d.recipient))
    sender = parse_sender(MAIL_FROM).addr_spec
    client = aiosmtplib.SMTP(hostname=host, port=port)
    await client.connect()
    began, cpu = time.perf_counter(), time.process_time()
    for message, recipient in messages:
        await client.sendmail(sender, [recipient], message)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    await client.quit()
    return MailRun("raw SMTP (aiosmtplib, 1 connection)", n, seconds, cpu)


async def sender_run(
    pool: asyncpg.Pool, dsn: str, host: str, port: int, n: int, connections: int
) -> MailRun:
    await pool.execute("TRUNCATE deliveries, delivery_attempts, outbox CASCADE")
    rows = [delivery(i) for i in range(n)]
    async with pool.acquire() as conn, conn.transaction():
        for start in range(0, n, 1000):
            await insert_deliveries(conn, rows[start : start + 1000])
    senders = mail_senders(
        pool,
        lambda: Wakeup(dsn, f"{ROLE}_deliveries", poll_interval=0.2),
        SmtpConfig(host=host, port=port),
        SenderConfig(mail_from=MAIL_FROM),
        connections=connections,
    )
    began, cpu = time.perf_counter(), time.process_time()
    tasks = [asyncio.create_task(s.run()) for s in senders]
    # The rows are the only signal that the senders are done: poll them.
    while await pool.fetchval("SELECT count(*) FROM deliveries WHERE status = 'pending'"):  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    for s in senders:
        await s.stop()
    await asyncio.gather(*tasks)
    sent = await pool.fetchval("SELECT count(*) FROM deliveries WHERE status = 'sent'")
    if sent != n:
        raise RuntimeError(f"{sent} of {n} sent")
    return MailRun(f"mail SMTP_CONNECTIONS={connections}", n, seconds, cpu)


@contextlib.contextmanager
def smtp_capture() -> Iterator[tuple[str, int]]:
    """The launcher's SMTP capture, run for the benchmark alone; its (host, port)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="aihub-bench-mail-") as maildir:
        for sub in ("tmp", "new", "cur"):
            Path(maildir, sub).mkdir()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aihub_local.smtp_capture",
                "--port",
                str(port),
                "--maildir",
                maildir,
            ],
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_tcp("127.0.0.1", port)
            yield "127.0.0.1", port
        finally:
            server.terminate()
            server.wait(timeout=10)


def wait_tcp(host: str, port: int) -> None:
    for _ in range(200):
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
            return
        time.sleep(0.05)
    raise TimeoutError(f"SMTP capture not listening on {host}:{port}")


async def mail_stage(
    endpoints: StackEndpoints, n: int, connections: list[int], rounds: int
) -> list[list[MailRun]]:
    """`rounds` rounds, each the raw connection then the sender with each count of connections,
    back to back: on a shared machine the load changes from minute to minute, so a sender's
    run is compared with the raw run of its own round."""
    dsn = await scratch_database_url(endpoints, ROLE)
    pool = await create_pool(dsn, max_size=10)
    try:
        await apply_migrations(pool, "aihub_notifications")
        with smtp_capture() as (host, port):
            played = []
            for _ in range(rounds):
                runs = [await raw_smtp(host, port, n)]
                for count in connections:
                    runs.append(await sender_run(pool, dsn, host, port, n, count))
                played.append(runs)
        return played
    finally:
        await pool.close()


async def main(n: int, connections: list[int], rounds: int, as_json: bool) -> None:
    from aihub_local.paths import state_dir_for_tests
    from aihub_local.stack import LocalStack

    if as_json:
        log_as_service("notifications")
    endpoints = LocalStack(state_dir_for_tests(), fixed_ports=False).up()
    load_before = os.getloadavg()[0]
    played = await mail_stage(endpoints, n, connections, rounds)
    if as_json:
        labels = [run.label for run in played[0]]
        by_label = {label: [runs[i] for runs in played] for i, label in enumerate(labels)}
        report(
            {label: median(run.rate for run in runs) for label, runs in by_label.items()}
            | {
                f"{label} CPU ms per mail": median(run.cpu_ms_per_mail for run in runs)
                for label, runs in by_label.items()
            }
        )
        return
    ratios: dict[str, list[float]] = {}
    for number, runs in enumerate(played, 1):
        raw = runs[0].rate
        for run in runs:
            ratios.setdefault(run.label, []).append(run.rate / raw)
            print(
                f"round {number} {run.label:<36} n={run.n:>6}: {run.rate:8,.0f}/s"
                f"  ({run.rate / raw:.2f} of raw), CPU {run.cpu_ms_per_mail:.2f} ms per mail"
            )
    if rounds > 1:
        for label, values in ratios.items():
            print(f"median of {rounds} rounds {label:<36}: {median(values):.2f} of raw")
    print(f"load average (1 min): {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--connections", type=int, action="append")
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat raw and senders, back to back, this often"
    )
    parser.add_argument("--json", action="store_true", help="for pipeline.py")
    args = parser.parse_args()
    asyncio.run(main(args.n, args.connections or [1, 4], args.rounds, args.json))
