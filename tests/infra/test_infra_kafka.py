"""The launcher's Kafka is a real KRaft broker: topics, keyed produce, consumer groups."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import UnknownTopicOrPartitionError

from aihub_local.stack import StackEndpoints

pytestmark = pytest.mark.integration


async def test_three_partition_topic_keeps_each_keys_messages_in_order(
    local_stack: StackEndpoints,
) -> None:
    topic = f"infra-test-{uuid.uuid4().hex[:12]}"
    admin = AIOKafkaAdminClient(**local_stack.kafka_as("admin").aiokafka_options())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
        (described,) = await admin.describe_topics([topic])
        assert described["error_code"] == 0
        assert sorted(p["partition"] for p in described["partitions"]) == [0, 1, 2]

        keys = [f"application-{i}" for i in range(12)]
        rounds = 5
        producer = AIOKafkaProducer(
            **local_stack.kafka_as("admin").aiokafka_options(), acks="all", enable_idempotence=True
        )
        await producer.start()
        partition_of_key: dict[str, set[int]] = defaultdict(set)
        try:
            for seq in range(rounds):
                sends = [
                    await producer.send(topic, key=key.encode(), value=f"{key}|{seq}".encode())
                    for key in keys
                ]
                for key, sent in zip(keys, await asyncio.gather(*sends), strict=True):
                    partition_of_key[key].add(sent.partition)
        finally:
            await producer.stop()
        # A key always lands on one partition, and the keys spread over the partitions.
        assert all(len(parts) == 1 for parts in partition_of_key.values())
        assert len(set().union(*partition_of_key.values())) >= 2

        group = f"infra-test-group-{uuid.uuid4().hex[:8]}"
        consumer = AIOKafkaConsumer(
            topic,
            **local_stack.kafka_as("admin").aiokafka_options(),
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        received: list[tuple[str, int, int]] = []
        try:
            async with asyncio.timeout(60):
                while len(received) < len(keys) * rounds:
                    batches = await consumer.getmany(timeout_ms=1000)
                    for records in batches.values():
                        for record in records:
                            key, seq = record.value.decode().split("|")
                            assert record.key.decode() == key
                            received.append((key, int(seq), record.partition))
            await consumer.commit()
        finally:
            await consumer.stop()

        assert len(received) == len(keys) * rounds
        for key in keys:
            seqs = [seq for k, seq, _ in received if k == key]
            assert seqs == list(range(rounds)), f"{key} out of order: {seqs}"
            assert {p for k, _, p in received if k == key} == partition_of_key[key]

        # The group's offsets were committed up to the end of every partition.
        committed = await admin.list_consumer_group_offsets(group)
        assert sum(meta.offset for meta in committed.values()) == len(keys) * rounds
        assert set(committed) == {TopicPartition(topic, p) for p in range(3)}
    finally:
        await admin.delete_topics([topic])
        await admin.close()


async def test_topics_are_not_created_automatically(local_stack: StackEndpoints) -> None:
    topic = f"infra-missing-{uuid.uuid4().hex[:12]}"
    producer = AIOKafkaProducer(
        **local_stack.kafka_as("admin").aiokafka_options(), request_timeout_ms=3000
    )
    await producer.start()
    try:
        with pytest.raises(UnknownTopicOrPartitionError):
            await producer.send_and_wait(topic, b"nobody created me")
    finally:
        await producer.stop()
    admin = AIOKafkaAdminClient(**local_stack.kafka_as("admin").aiokafka_options())
    await admin.start()
    try:
        assert topic not in await admin.list_topics()
    finally:
        await admin.close()
