"""What is known about the record being handled, on whichever path the consumer takes: its
position and event in every log line, its arrival time for the handlers' rules."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import structlog
from aiokafka import ConsumerRecord

from aihub_shared.contracts.envelope import CloudEvent

_arrival: ContextVar[datetime | None] = ContextVar("arrival", default=None)


def arrival_time() -> datetime:
    """When the record being handled reached the broker (its timestamp; on intake topics the
    broker's own clock, `LogAppendTime`); the current time outside a consumer."""
    return _arrival.get() or datetime.now(UTC)


def position(record: ConsumerRecord) -> str:
    return f"{record.topic}:{record.partition}:{record.offset}"


def arrival_of(record: ConsumerRecord) -> datetime:
    """When the record reached the broker (see `arrival_time`)."""
    return datetime.fromtimestamp(record.timestamp / 1000, UTC)


@contextlib.contextmanager
def handling(consumer: str, record: ConsumerRecord) -> Iterator[None]:
    """While one record is handled, on either path: its position in the logs, its arrival time
    for `arrival_time()`."""
    token = _arrival.set(arrival_of(record))
    try:
        with structlog.contextvars.bound_contextvars(consumer=consumer, position=position(record)):
            yield
    finally:
        _arrival.reset(token)


def about(event: CloudEvent) -> contextlib.AbstractContextManager[Any]:
    """Once a record is decoded, every log line names its event."""
    return structlog.contextvars.bound_contextvars(
        event_id=event.id, event_type=event.type, correlation_id=event.correlationid
    )
