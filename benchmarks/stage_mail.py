"""Mail stage: pending deliveries → `email.sent`, through the notifications service's own mail
sender (claim, attempt record, SMTP, mark, outbox) against the test stack's Postgres and SMTP
capture; and the raw limit: one aiosmtplib connection sending the same messages to the same
server. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/stage_mail.py [--n 2000]

It uses the scratch schema `notifications_bench_test` (created if needed); the captured mails
go to recipients `@bench.example` and are removed from the capture's Maildir afterwards, so the
test suite's mailbox stays small.
"""

from __future__ import annotations

import argparse
import asyncio
import mailbox
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiosmtplib
import asyncpg
from stage_result import log_as_service, report

from aihub_local.stack import StackEndpoints
from aihub_local.testing import scratch_database_url
from aihub_notifications.adapters.deliveries import NewDelivery, insert_deliveries
from aihub_notifications.adapters.message import OutgoingMail, build_message, parse_sender
from aihub_notifications.adapters.smtp import SmtpConfig
from aihub_notifications.domain.deliveries import message_id
from aihub_notifications.service_layer.sender import SenderConfig, mail_senders
from aihub_shared.runtime.db import apply_migrations, create_pool
from aihub_shared.runtime.wakeup import Wakeup

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

    @property
    def rate(self) -> float:
        return self.n / self.seconds


def delivery(i: int) -> NewDelivery:
    identity = uuid.uuid4()
    return NewDelivery(
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


async def raw_smtp(endpoints: StackEndpoints, n: int) -> MailRun:
    """The server's limit for one client: one connection, messages built beforehand."""
    sender = parse_sender(MAIL_FROM)
    messages = []
    for i in range(n):
        d = delivery(i)
        mail = OutgoingMail(
            str(d.id), d.message_id, d.locale, d.recipient, d.recipient_name, d.subject, TEXT, HTML
        )
        messages.append((build_message(mail, sender=sender), d.recipient))
    client = aiosmtplib.SMTP(hostname=endpoints.smtp_host, port=endpoints.smtp_port)
    await client.connect()
    began = time.perf_counter()
    for message, recipient in messages:
        await client.send_message(message, sender=sender.addr_spec, recipients=[recipient])
    seconds = time.perf_counter() - began
    await client.quit()
    return MailRun("raw SMTP (aiosmtplib, 1 connection)", n, seconds)


async def sender_run(
    pool: asyncpg.Pool, dsn: str, endpoints: StackEndpoints, n: int, connections: int
) -> MailRun:
    await pool.execute("TRUNCATE deliveries, delivery_attempts, outbox CASCADE")
    rows = [delivery(i) for i in range(n)]
    async with pool.acquire() as conn, conn.transaction():
        for start in range(0, n, 1000):
            await insert_deliveries(conn, rows[start : start + 1000])
    senders = mail_senders(
        pool,
        lambda: Wakeup(dsn, f"{ROLE}_deliveries", poll_interval=0.2),
        SmtpConfig(host=endpoints.smtp_host, port=endpoints.smtp_port),
        SenderConfig(mail_from=MAIL_FROM),
        connections=connections,
    )
    began = time.perf_counter()
    tasks = [asyncio.create_task(s.run()) for s in senders]
    # The rows are the only signal that the senders are done: poll them.
    while await pool.fetchval("SELECT count(*) FROM deliveries WHERE status = 'pending'"):  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    seconds = time.perf_counter() - began
    for s in senders:
        await s.stop()
    await asyncio.gather(*tasks)
    sent = await pool.fetchval("SELECT count(*) FROM deliveries WHERE status = 'sent'")
    if sent != n:
        raise RuntimeError(f"{sent} of {n} sent")
    return MailRun(f"mail SMTP_CONNECTIONS={connections}", n, seconds)


def forget_bench_mail(maildir: Path) -> None:
    box = mailbox.Maildir(maildir, factory=None, create=False)
    for key in list(box.iterkeys()):
        message = box.get_message(key)
        if (message.get("To") or "").endswith(f"@{DOMAIN}>") or DOMAIN in (message["To"] or ""):
            box.discard(key)


async def mail_stage(endpoints: StackEndpoints, n: int, connections: list[int]) -> list[MailRun]:
    dsn = await scratch_database_url(endpoints, ROLE)
    pool = await create_pool(dsn, max_size=10)
    try:
        await apply_migrations(pool, "aihub_notifications")
        runs = [await raw_smtp(endpoints, n)]
        for count in connections:
            runs.append(await sender_run(pool, dsn, endpoints, n, count))
        return runs
    finally:
        await pool.close()
        forget_bench_mail(endpoints.mail_dir)


async def main(n: int, connections: list[int], as_json: bool) -> None:
    from aihub_local.paths import state_dir_for_tests
    from aihub_local.stack import LocalStack

    if as_json:
        log_as_service("notifications")
    endpoints = LocalStack(state_dir_for_tests(), fixed_ports=False).up()
    runs = await mail_stage(endpoints, n, connections)
    if as_json:
        report({run.label: run.rate for run in runs})
        return
    raw = runs[0].rate
    for run in runs:
        print(f"{run.label:<36} n={run.n:>6}: {run.rate:8,.0f}/s  ({run.rate / raw:.2f} of raw)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--connections", type=int, action="append")
    parser.add_argument("--json", action="store_true", help="for pipeline.py")
    args = parser.parse_args()
    asyncio.run(main(args.n, args.connections or [1, 4], args.json))
