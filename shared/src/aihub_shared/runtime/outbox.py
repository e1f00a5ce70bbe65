"""Writing to the transactional outbox: call inside the transaction that changes the state."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

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
    """Queue events for publication; each goes to its contract's topic, keyed by its subject.
    One statement however many they are, so the outbox's statement-level trigger wakes the
    relay with one NOTIFY (one INSERT per event ran the trigger once per event)."""
    if not events:
        return  # no statement, so no NOTIFY waking the relay for nothing
    sql, values = insert_events_sql(events, 1)
    await conn.execute(sql, *values)


def insert_events_sql(events: Sequence[CloudEvent], first_param: int) -> tuple[str, list[Any]]:
    """`add_events` as one `INSERT` using the parameters from `$first_param` on, and their
    values: for a caller that writes its change and its events in one statement (the insert as
    a data-modifying `WITH` part), one round trip instead of two."""
    columns: list[list[Any]] = [[], [], [], [], [], []]
    for row in _rows(events):
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    # As JSON text: a list of header pairs in a jsonb[] would read as a nested array.
    columns[3] = [json.dumps(headers) for headers in columns[3]]
    types = ("text", "bytea", "bytea", "text", "text", "text")
    arrays = ", ".join(f"${first_param + i}::{t}[]" for i, t in enumerate(types))
    sql = (
        "INSERT INTO outbox (topic, key, value, headers, event_id, event_type)"  # noqa: S608 — parameter numbers only
        f" SELECT topic, key, value, headers::jsonb, event_id, event_type FROM unnest({arrays})"
        " AS queued(topic, key, value, headers, event_id, event_type)"
    )
    return sql, columns


def _rows(events: Sequence[CloudEvent]) -> list[tuple[Any, ...]]:
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
    return rows


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
