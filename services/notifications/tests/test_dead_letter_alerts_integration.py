"""Ops hear about dead letters from every service, grouped: the collector reads the real `*.dlq`
topics (headers as the kit's consumers write them) and each window gives one alert mail per ops
subscriber, never one per message."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from aihub_local.stack import StackEndpoints
from aihub_local.testing import eventually
from aihub_notifications.adapters import directory
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.staff import MailKind, Subscription
from aihub_notifications.service_layer.dead_letter_alerts import (
    CollectorConfig,
    DeadLetterCollector,
    alert_once,
    dead_letter_topics,
)
from aihub_shared.contracts.topics import ALL_TOPICS
from aihub_shared.contracts.topics_admin import ensure_topics

pytestmark = pytest.mark.integration


def test_every_dead_letter_topic_of_the_platform_is_read() -> None:
    assert dead_letter_topics() == sorted(t.name for t in ALL_TOPICS if t.name.endswith(".dlq"))
    assert "intake.applications.dlq" in dead_letter_topics()
    assert "programs.enrollments.dlq" in dead_letter_topics()


def dead_letter_headers(reason: str, consumer: str, origin: str) -> list[tuple[str, bytes]]:
    """What `EventConsumer._write_dead_letter` adds after the original headers."""
    return [
        ("ce_id", b"original-header-kept"),
        ("dlq_reason", reason.encode()),
        ("dlq_detail", b"contact.email: value is not a valid email address"),
        ("dlq_consumer", consumer.encode()),
        ("dlq_topic", origin.encode()),
        ("dlq_partition", b"0"),
        ("dlq_offset", b"42"),
        ("dlq_at", b"2027-02-10T01:02:03+00:00"),
    ]


@pytest.fixture
async def producer(local_stack: StackEndpoints) -> AsyncIterator[AIOKafkaProducer]:
    await ensure_topics(local_stack.kafka_as("ops"))
    started = AIOKafkaProducer(**local_stack.kafka.aiokafka_options(), acks="all")
    await started.start()
    try:
        yield started
    finally:
        await started.stop()


async def test_dead_letters_become_one_alert_per_ops_subscriber_per_window(
    db: asyncpg.Pool,
    renderer: MailRenderer,
    local_stack: StackEndpoints,
    producer: AIOKafkaProducer,
) -> None:
    tag = uuid.uuid4().hex[:8]
    contract_reason = f"data violates the contract {tag}"
    unknown_reason = f"unknown event type {tag}"
    for n in range(5):
        await producer.send_and_wait(
            "intake.applications.dlq",
            b"{not json",
            key=f"{tag}-{n}".encode(),
            headers=dead_letter_headers(
                contract_reason, "applications.intake", "intake.applications"
            ),
        )
    for n in range(2):
        await producer.send_and_wait(
            "programs.enrollments.dlq",
            b"{}",
            key=f"{tag}-e{n}".encode(),
            headers=dead_letter_headers(
                unknown_reason, "notifications.enrollments", "programs.enrollments"
            ),
        )

    async with db.acquire() as conn:
        for email, role, subscribed in (
            ("ops1@hub.example", "ops", True),
            ("ops2@hub.example", "admin", True),
            ("pm@hub.example", "program_manager", False),
        ):
            await directory.upsert_staff(
                conn, email=email, name=email, locale="en", role=role, active=True
            )
            if subscribed:
                await directory.replace_subscriptions(
                    conn, email, [Subscription(MailKind.DEAD_LETTERS)]
                )

    # Two topics only, so that "all 7 recorded" also means every older message on them is (one
    # partition each, read in order); the service reads them all (see the test above).
    config = CollectorConfig(
        kafka=local_stack.kafka,
        group_id=f"test-dlq-{tag}",
        topics=("intake.applications.dlq", "programs.enrollments.dlq"),
    )
    collector = DeadLetterCollector(db, config)
    task = asyncio.create_task(collector.run())

    async def recorded() -> bool:
        count = await db.fetchval(
            "SELECT count(*) FROM dead_letters WHERE reason LIKE '%' || $1", tag
        )
        return bool(count == 7)

    try:
        await eventually(recorded, what="the 7 dead letters recorded")
    finally:
        await collector.stop()
        await asyncio.wait_for(task, timeout=15)
    stored = await db.fetchrow(
        "SELECT * FROM dead_letters WHERE reason = $1 LIMIT 1", contract_reason
    )
    assert stored is not None
    assert (stored["origin_topic"], stored["consumer"]) == (
        "intake.applications",
        "applications.intake",
    )

    covered = await alert_once(db, renderer)
    assert covered >= 7
    alerts = await db.fetch(
        "SELECT recipient, template, subject, body_text FROM deliveries ORDER BY recipient"
    )
    assert [(a["recipient"], a["template"]) for a in alerts] == [
        ("ops1@hub.example", "dead_letters_ops"),
        ("ops2@hub.example", "dead_letters_ops"),
    ]
    body = alerts[0]["body_text"]
    assert f"intake.applications.dlq: 5 — {contract_reason}" in body
    assert f"programs.enrollments.dlq: 2 — {unknown_reason}" in body
    assert "intake.applications.dlq" in alerts[0]["subject"]

    # Nothing new: no alert. The same collector group again reads nothing twice.
    assert await alert_once(db, renderer) == 0
    restarted = DeadLetterCollector(db, config)
    task = asyncio.create_task(restarted.run())
    await producer.send_and_wait(
        "intake.applications.dlq",
        b"late",
        key=f"{tag}-late".encode(),
        headers=dead_letter_headers(contract_reason, "applications.intake", "intake.applications"),
    )

    async def one_more() -> bool:
        return bool(
            await db.fetchval("SELECT count(*) FROM dead_letters WHERE reason LIKE '%' || $1", tag)
            == 8
        )

    try:
        await eventually(one_more, what="the late dead letter, and only it, recorded")
    finally:
        await restarted.stop()
        await asyncio.wait_for(task, timeout=15)
    assert await alert_once(db, renderer) == 1  # the next window: one more alert each
    assert await db.fetchval("SELECT count(*) FROM deliveries") == 4
    assert await db.fetchval("SELECT count(*) FROM dead_letters WHERE alerted_at IS NULL") == 0


async def test_a_dead_letter_without_our_headers_is_still_counted(
    db: asyncpg.Pool, local_stack: StackEndpoints, producer: AIOKafkaProducer
) -> None:
    tag = uuid.uuid4().hex[:8]
    await producer.send_and_wait("programs.catalog.dlq", b"raw", key=f"{tag}".encode())
    collector = DeadLetterCollector(
        db,
        CollectorConfig(
            kafka=local_stack.kafka,
            group_id=f"test-dlq-{tag}",
            topics=("programs.catalog.dlq",),
        ),
    )
    task = asyncio.create_task(collector.run())

    async def seen() -> asyncpg.Record | None:
        row: asyncpg.Record | None = await db.fetchrow(
            "SELECT * FROM dead_letters WHERE dlq_topic = 'programs.catalog.dlq'"
            " ORDER BY id DESC LIMIT 1"
        )
        return row

    try:
        row = await eventually(seen, what="the header-less dead letter")
    finally:
        await collector.stop()
        await asyncio.wait_for(task, timeout=15)
    assert (row["reason"], row["consumer"], row["origin_topic"]) == (
        "unknown",
        "unknown",
        "programs.catalog",
    )


async def test_dead_letters_nobody_was_told_about_are_kept_for_the_next_alert(
    db: asyncpg.Pool,
    renderer: MailRenderer,
    local_stack: StackEndpoints,
    producer: AIOKafkaProducer,
) -> None:
    """Nobody subscribes to dead-letter alerts by default: what arrives meanwhile is neither
    dropped nor marked as alerted; `aihub-dead-letters list` shows it, and the first alert after
    an ops person subscribes covers all of it."""
    tag = uuid.uuid4().hex[:8]
    reason = f"envelope violates CloudEvents 1.0 {tag}"
    for n in range(3):
        await producer.send_and_wait(
            "intake.kpi-reports.dlq",
            b"[]",
            key=f"{tag}-{n}".encode(),
            headers=dead_letter_headers(reason, "programs.kpi-reports", "intake.kpi-reports"),
        )
    config = CollectorConfig(
        kafka=local_stack.kafka,
        group_id=f"test-dlq-{tag}",
        topics=("intake.kpi-reports.dlq",),
    )
    collector = DeadLetterCollector(db, config)
    task = asyncio.create_task(collector.run())

    async def recorded() -> bool:
        return bool(
            await db.fetchval("SELECT count(*) FROM dead_letters WHERE reason = $1", reason) == 3
        )

    try:
        await eventually(recorded, what="the 3 dead letters recorded")
    finally:
        await collector.stop()
        await asyncio.wait_for(task, timeout=15)

    assert await alert_once(db, renderer) == 0  # nobody to tell
    assert await alert_once(db, renderer) == 0  # a later window: still kept
    kept = await db.fetchval(
        "SELECT count(*) FROM dead_letters WHERE reason = $1 AND alerted_at IS NULL", reason
    )
    assert kept == 3
    assert await db.fetchval("SELECT count(*) FROM deliveries") == 0

    listed = subprocess.run(  # noqa: ASYNC221 - a short CLI run, as ops would
        [str(Path(sys.executable).parent / "aihub-dead-letters"), "list", "intake.kpi-reports.dlq"],
        env={**os.environ, **local_stack.kafka_as("ops").environment()},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    ours = [json.loads(line) for line in listed.stdout.splitlines() if tag in line]
    assert sorted(letter["key"] for letter in ours) == [f"{tag}-{n}" for n in range(3)]
    assert {letter["reason"] for letter in ours} == {reason}

    async with db.acquire() as conn:
        await directory.upsert_staff(
            conn, email="ops@hub.example", name="Ops", locale="en", role="ops", active=True
        )
        await directory.replace_subscriptions(
            conn, "ops@hub.example", [Subscription(MailKind.DEAD_LETTERS)]
        )
    assert await alert_once(db, renderer) >= 3
    (alert,) = await db.fetch("SELECT recipient, body_text FROM deliveries")
    assert alert["recipient"] == "ops@hub.example"
    assert f"intake.kpi-reports.dlq: 3 — {reason}" in alert["body_text"]
