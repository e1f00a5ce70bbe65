"""The platform's topics on the real broker, as `ensure_topics` makes them."""

from __future__ import annotations

import time

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from aihub_local.stack import StackEndpoints
from aihub_local.testing import read_until
from aihub_shared.contracts.topics import ALL_TOPICS, INTAKE_APPLICATIONS
from aihub_shared.contracts.topics_admin import ensure_topics

pytestmark = pytest.mark.integration


async def test_every_topic_exists_with_its_partitions(local_stack: StackEndpoints) -> None:
    await ensure_topics(local_stack.kafka_as("ops"))
    assert await ensure_topics(local_stack.kafka_as("ops")) == []  # re-running creates nothing
    admin = AIOKafkaAdminClient(**local_stack.kafka.aiokafka_options())
    await admin.start()
    try:
        described = await admin.describe_topics([t.name for t in ALL_TOPICS])
    finally:
        await admin.close()
    partitions = {t["topic"]: len(t["partitions"]) for t in described}
    assert partitions == {t.name: t.partitions for t in ALL_TOPICS}


async def test_intake_is_stamped_with_the_brokers_arrival_time(
    local_stack: StackEndpoints, run_id: str
) -> None:
    """A publisher cannot backdate a submission past the application deadline."""
    await ensure_topics(local_stack.kafka_as("ops"))
    key = f"stamp-{run_id}".encode()
    backdated_ms = int((time.time() - 30 * 24 * 3600) * 1000)
    producer = AIOKafkaProducer(**local_stack.kafka.aiokafka_options())
    await producer.start()
    try:
        before_ms = int(time.time() * 1000)
        await producer.send_and_wait(INTAKE_APPLICATIONS, b"{}", key=key, timestamp_ms=backdated_ms)
    finally:
        await producer.stop()
    (record,) = await read_until(
        local_stack.kafka, INTAKE_APPLICATIONS, lambda r: r.key == key, count=1
    )
    assert record.timestamp_type == 1  # LogAppendTime
    assert record.timestamp >= before_ms - 5_000


async def test_topics_with_personal_data_keep_it_one_week_at_most(
    local_stack: StackEndpoints,
) -> None:
    """Erasure does not rewrite the log: retention bounds how long it keeps a person's data."""
    await ensure_topics(local_stack.kafka_as("ops"))
    personal = [t.name for t in ALL_TOPICS if t.personal_data and "retention.ms" in t.config]
    assert INTAKE_APPLICATIONS in personal
    assert len(personal) == len([t for t in ALL_TOPICS if t.personal_data])
    admin = AIOKafkaAdminClient(**local_stack.kafka_as("ops").aiokafka_options())
    await admin.start()
    try:
        responses = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in personal]
        )
    finally:
        await admin.close()
    retention = {
        resource[3]: int(value)
        for response in responses
        for resource in response.resources
        for name, value, *_ in resource[4]
        if name == "retention.ms"
    }
    assert set(retention) == set(personal)
    week = 7 * 24 * 3600 * 1000
    assert all(ms <= 30 * 24 * 3600 * 1000 for ms in retention.values())
    assert all(retention[t] <= week for t in personal if not t.endswith(".dlq")), retention
