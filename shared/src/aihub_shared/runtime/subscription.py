"""FastStream wiring of an `EventConsumer`: a batch subscriber that commits only after success."""

from __future__ import annotations

import dataclasses
from typing import Any

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from aihub_shared.runtime.consumer import EventConsumer
from aihub_shared.runtime.failpoints import crash_if_armed


async def _keep_records_raw(records: tuple[ConsumerRecord, ...], original: Any) -> Any:
    # FastStream's own parser decodes every header as UTF-8 before our code runs, so one hostile
    # header would fail the batch outside our dead-letter path. Let it build its message (it wires
    # the consumer used to commit) from neutral copies, then hand our handler the untouched records.
    neutral = tuple(dataclasses.replace(r, headers=[], value=b"") for r in records)
    message = await original(neutral)
    message.raw_message = records
    message.body = records
    return message


async def _records_as_body(message: Any, _original: Any) -> Any:
    return message.raw_message


def subscribe(broker: KafkaBroker, consumer: EventConsumer, *, batch_size: int) -> None:
    """Register the consumer as a FastStream batch subscriber that commits only after success."""
    # A record waiting out a lagging replica keeps the batch in the handler: the group must not
    # count that as a dead consumer. A longer outage does end the membership; the partitions move
    # on and the inbox makes the overlap harmless, so that is the limit, not a correctness rule.
    max_poll_interval_ms = int((consumer.retry.retry_later_max_seconds + 300) * 1000)
    subscriber = broker.subscriber(
        *consumer.topics,
        group_id=consumer.name,
        batch=True,
        max_records=batch_size,
        batch_timeout_ms=500,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        max_poll_interval_ms=max_poll_interval_ms,
        parser=_keep_records_raw,
        decoder=_records_as_body,
        title=f"{consumer.name}:{','.join(consumer.topics)}",
    )

    @subscriber
    async def handle(records: Any, message: KafkaMessage) -> None:
        if await consumer.handle_batch(message.raw_message):
            crash_if_armed(f"after-commit:{consumer.name}")  # effects committed, offsets not yet

    del handle
