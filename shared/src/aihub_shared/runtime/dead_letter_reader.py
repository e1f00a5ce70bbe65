"""Reading dead-letter topics whole, over a connection that may be kept between reads.

The operators' list asks every dead-letter topic of a service on each request. Opening a Kafka
connection (SASL/SCRAM handshake, metadata, the partitions' assignment) took 160-320 ms on the
loaded 2-core machine, far more than reading the few dead letters there usually are; a service
therefore keeps one reader for the life of the process (`ServiceRuntime.dead_letters`), and the
command line opens one for a single read. Either way a read sees everything on the topics at
that moment, and partitions with nothing on them are not fetched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import TracebackType

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from aihub_shared.contracts.topics import DEAD_LETTER_SUFFIX
from aihub_shared.runtime import kafka_client
from aihub_shared.runtime.kafka_client import KafkaConnection

#: How often to look whether a group-less subscription has its partitions: they come with the
#: first metadata answer, moments after start (aiokafka offers nothing to await).
ASSIGNMENT_POLL_S = 0.005
ASSIGNMENT_TIMEOUT_S = 15


class DeadLetterReader:
    """Reads these dead-letter topics; one read at a time. No group: every partition is
    assigned to this reader and nothing is committed, so reading never disturbs anyone."""

    def __init__(self, kafka: KafkaConnection, dlq_topics: Sequence[str]) -> None:
        for topic in dlq_topics:
            if not topic.endswith(DEAD_LETTER_SUFFIX):
                raise ValueError(
                    f"{topic!r} is not a dead-letter topic (<topic>{DEAD_LETTER_SUFFIX})"
                )
        self._kafka = kafka
        self._topics = frozenset(dlq_topics)
        self._consumer: AIOKafkaConsumer | None = None
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> DeadLetterReader:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def read(
        self, dlq_topics: Sequence[str] | None = None
    ) -> dict[str, list[ConsumerRecord]]:
        """Everything on these topics (default: all of the reader's) now, each oldest first."""
        wanted = frozenset(dlq_topics) if dlq_topics is not None else self._topics
        if not wanted <= self._topics:
            raise ValueError(f"not read here: {', '.join(sorted(wanted - self._topics))}")
        if not wanted:
            return {}
        async with self._lock:
            try:
                return await _read(await self._started(), wanted)
            except BaseException:
                await self._stop()  # a connection in an unknown state is not kept
                raise

    async def close(self) -> None:
        async with self._lock:
            await self._stop()

    async def _started(self) -> AIOKafkaConsumer:
        if self._consumer is not None:
            return self._consumer
        consumer = AIOKafkaConsumer(
            *sorted(self._topics),
            **self._kafka.aiokafka_options(),
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await kafka_client.start(consumer)
        self._consumer = consumer
        try:
            async with asyncio.timeout(ASSIGNMENT_TIMEOUT_S):
                while _topics_of(consumer.assignment()) != self._topics:  # noqa: ASYNC110
                    await asyncio.sleep(ASSIGNMENT_POLL_S)
        except TimeoutError as exc:
            missing = self._topics - _topics_of(consumer.assignment())
            raise ValueError(f"no topic {', '.join(sorted(missing))}") from exc
        return consumer

    async def _stop(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await consumer.stop()


def _topics_of(partitions: set[TopicPartition]) -> frozenset[str]:
    return frozenset(tp.topic for tp in partitions)


async def _read(
    consumer: AIOKafkaConsumer, topics: frozenset[str]
) -> dict[str, list[ConsumerRecord]]:
    partitions = sorted(tp for tp in consumer.assignment() if tp.topic in topics)
    first = await consumer.beginning_offsets(partitions)
    end = await consumer.end_offsets(partitions)
    holding = {tp: end[tp] for tp in partitions if first[tp] < end[tp]}
    # Between reads nothing is fetched in the background; during one, only what is there.
    consumer.pause(*consumer.assignment())
    consumer.resume(*holding)
    for tp in holding:
        consumer.seek(tp, first[tp])
    records: dict[str, list[ConsumerRecord]] = {topic: [] for topic in topics}
    try:
        while holding and not await _caught_up(consumer, holding):
            for batch in (await consumer.getmany(*holding, timeout_ms=1000)).values():
                for r in batch:
                    if r.offset < holding[TopicPartition(r.topic, r.partition)]:
                        records[r.topic].append(r)
    finally:
        consumer.pause(*consumer.assignment())
    return {
        topic: sorted(found, key=lambda r: (r.timestamp, r.partition, r.offset))
        for topic, found in records.items()
    }


async def _caught_up(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> bool:
    for partition, last in end.items():
        if await consumer.position(partition) < last:
            return False
    return True
