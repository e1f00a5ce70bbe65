"""Writing to the transactional outbox: call inside the transaction that changes the state."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.registry import contract_for_type
from aihub_shared.runtime.db import DbConnection

Headers = list[tuple[str, bytes]]

_INSERT = (
    "INSERT INTO outbox (topic, key, value, headers, event_id, event_type)"
    " VALUES ($1, $2, $3, $4, $5, $6)"
)


def encode_headers(headers: Headers) -> list[list[str]]:
    # Header values are arbitrary bytes (a dead letter keeps the publisher's own); jsonb holds text.
    return [[name, base64.b64encode(value or b"").decode()] for name, value in headers]


def decode_headers(stored: list[list[str]]) -> Headers:
    return [(name, base64.b64decode(value)) for name, value in stored]


def event_headers(event: CloudEvent) -> Headers:
    """Lets a consumer route or trace without parsing the body."""
    headers = [
        ("content-type", b"application/cloudevents+json; charset=utf-8"),
        ("ce_id", event.id.encode()),
        ("ce_type", event.type.encode()),
    ]
    if event.correlationid:
        headers.append(("ce_correlationid", event.correlationid.encode()))
    return headers


async def add_events(conn: DbConnection, events: Sequence[CloudEvent]) -> None:
    """Queue events for publication; each goes to its contract's topic, keyed by its subject."""
    rows = []
    for event in events:
        contract = contract_for_type(event.type)
        if contract is None:
            raise ValueError(f"no contract for event type {event.type!r}")
        if not event.subject:
            raise ValueError("an event needs a subject: it is the Kafka key")
        rows.append(
            (
                contract.topic,
                event.subject.encode(),
                event.to_bytes(),
                encode_headers(event_headers(event)),
                event.id,
                event.type,
            )
        )
    await conn.executemany(_INSERT, rows)


async def add_raw(
    conn: DbConnection,
    *,
    topic: str,
    key: bytes | None,
    value: bytes,
    headers: Headers,
) -> None:
    """Queue bytes as they are (dead letters keep the original message unchanged)."""
    await conn.execute(_INSERT, topic, key, value, encode_headers(headers), None, None)
