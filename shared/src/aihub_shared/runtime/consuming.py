"""What every path of the consumer shares (`consumer.py`): the shape of a handler, the inbox key
of an event, a record decoded to its handler, and the counters of outcomes and retries."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from aiokafka import ConsumerRecord
from prometheus_client import Counter
from pydantic import BaseModel

from aihub_shared.contracts.envelope import CloudEvent, EventContractError
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.event_decoding import decode_record

#: The consumer's one logger, whichever of its modules writes the line: ops filter on its name.
log = structlog.get_logger("aihub_shared.runtime.consumer")

Handler = Callable[[DbConnection, CloudEvent, Any], Awaitable[None]]

CONSUMED = Counter("events_consumed_total", "Events handled", ["consumer", "outcome"])
RETRIES = Counter("event_retries_total", "Retries of a failing event", ["consumer", "kind"])


def inbox_key(event: CloudEvent) -> str:
    """CloudEvents ids are unique per source, so the inbox key carries both."""
    return f"{event.source}|{event.id}"


def decode_for(
    record: ConsumerRecord, handlers: Mapping[str, Handler]
) -> tuple[CloudEvent, str, BaseModel, Handler | None]:
    """The record's event, contract name, data and the handler of that name (None: not this
    consumer's); `EventContractError` for bytes that are no such event."""
    try:
        event, name, data = decode_record(record)
        return event, name, data, handlers.get(name)
    except EventContractError:
        raise
    except Exception as exc:  # whatever else hostile bytes provoke is still about the bytes
        raise EventContractError("undecodable message", type(exc).__name__) from exc


@dataclasses.dataclass(frozen=True)
class Decoded:
    """A record decoded before the fast path's transaction: its event, data and handler, or
    the contract violation it is."""

    record: ConsumerRecord
    event: CloudEvent | None = None
    data: BaseModel | None = None
    handler: Handler | None = None
    violation: EventContractError | None = None
    #: The contract's short name (`application.submitted`), to find a batch handler.
    name: str | None = None

    @classmethod
    def of(cls, record: ConsumerRecord, handlers: Mapping[str, Handler]) -> Decoded:
        try:
            event, name, data, handler = decode_for(record, handlers)
        except EventContractError as exc:
            return cls(record, violation=exc)
        return cls(record, event, data, handler, name=name)

    @property
    def inbox_key(self) -> str:
        assert self.event is not None  # only records with a handler are claimed
        return inbox_key(self.event)
