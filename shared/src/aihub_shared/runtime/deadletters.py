"""Dead letters: what a consumer keeps of a failed message, and `aihub-dead-letters` to read a
dead-letter topic and replay chosen messages to where they failed.

A replay republishes the original key, bytes and headers to the original topic (from the
`dlq_topic` header), without the `dlq_*` headers and with `dlq_replay_of` naming the dead letter.
It lands at a new offset, so the consumer treats it as a new attempt; an event whose effect was
already committed is still deduplicated by its event id.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import typer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from aihub_shared.contracts.topics import DEAD_LETTER_SUFFIX
from aihub_shared.runtime import kafka_client
from aihub_shared.runtime.dead_letter_reader import (
    ASSIGNMENT_POLL_S,
    DeadLetterReader,
)
from aihub_shared.runtime.kafka_client import KafkaConnection, kafka_from_environment

REPLAY_HEADER = "dlq_replay_of"

MAX_DEAD_LETTER_VALUE = 512 * 1024
MAX_DEAD_LETTER_HEADERS = 64 * 1024
MAX_DEAD_LETTER_KEY = 1024


def bounded_copy(record: ConsumerRecord) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The original value and headers as far as a dead letter can carry them.

    Incoming `dlq_*` headers are dropped: only this consumer may say why and where a message
    failed (a publisher could otherwise steer a replay onto an internal topic). A value or headers
    too large to publish again are cut, with the original size and hash kept for ops."""
    value = record.value or b""
    headers: list[tuple[str, bytes]] = []
    kept_bytes = dropped = 0
    for name, raw in record.headers or ():
        if name.startswith("dlq_"):
            continue
        data = bytes(raw) if raw is not None else b""
        if kept_bytes + len(name) + len(data) > MAX_DEAD_LETTER_HEADERS:
            dropped += 1
            continue
        kept_bytes += len(name) + len(data)
        headers.append((name, data))
    if dropped:
        headers.append(("dlq_headers_dropped", str(dropped).encode()))
    if len(value) > MAX_DEAD_LETTER_VALUE:
        headers += [
            ("dlq_value_bytes", str(len(value)).encode()),
            ("dlq_value_sha256", hashlib.sha256(value).hexdigest().encode()),
        ]
        value = value[:MAX_DEAD_LETTER_VALUE]
    return value, headers


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    key: str | None
    reason: str
    detail: str
    consumer: str
    origin: str  # topic:partition:offset where it failed
    dead_lettered_at: str


def _header(record: ConsumerRecord, name: str) -> str:
    """The last value of a header: the consumer appends its own after the original ones."""
    found = ""
    for key, value in record.headers or ():
        if key == name and value is not None:
            found = bytes(value).decode(errors="replace")
    return found


def describe(record: ConsumerRecord) -> DeadLetter:
    origin = ":".join(_header(record, h) for h in ("dlq_topic", "dlq_partition", "dlq_offset"))
    return DeadLetter(
        partition=record.partition,
        offset=record.offset,
        key=record.key.decode(errors="replace") if record.key is not None else None,
        reason=_header(record, "dlq_reason"),
        detail=_header(record, "dlq_detail"),
        consumer=_header(record, "dlq_consumer"),
        origin=origin,
        dead_lettered_at=_header(record, "dlq_at"),
    )


async def read_dead_letters(kafka: KafkaConnection, dlq_topic: str) -> list[ConsumerRecord]:
    """Everything on the dead-letter topic now, oldest first; commits nothing."""
    async with DeadLetterReader(kafka, [dlq_topic]) as reader:
        return (await reader.read())[dlq_topic]


async def read_dead_letter(
    kafka: KafkaConnection, dlq_topic: str, partition: int, offset: int
) -> ConsumerRecord | None:
    """The one dead letter at (partition, offset), read by seeking there; None if the topic has
    no such position (never written, or past its retention)."""
    # Subscribed without a group, as in `read_dead_letters`: every partition is assigned, so an
    # unknown partition is simply not among them.
    consumer = AIOKafkaConsumer(dlq_topic, **kafka.aiokafka_options(), enable_auto_commit=False)
    await kafka_client.start(consumer)
    try:
        async with asyncio.timeout(15):
            while not consumer.assignment():  # noqa: ASYNC110
                await asyncio.sleep(ASSIGNMENT_POLL_S)
        where = TopicPartition(dlq_topic, partition)
        if where not in consumer.assignment():
            return None
        first = (await consumer.beginning_offsets([where]))[where]
        end = (await consumer.end_offsets([where]))[where]
        if not first <= offset < end:
            return None
        consumer.seek(where, offset)
        async with asyncio.timeout(15):
            while True:
                for record in (await consumer.getmany(where, timeout_ms=1000)).get(where, []):
                    return record if record.offset == offset else None
    finally:
        await consumer.stop()


def replay_headers(record: ConsumerRecord) -> list[tuple[str, bytes]]:
    kept = [
        (k, bytes(v) if v is not None else b"")
        for k, v in record.headers or ()
        if not k.startswith("dlq_")
    ]
    where = f"{record.topic}:{record.partition}:{record.offset}".encode()
    return [*kept, (REPLAY_HEADER, where)]


async def replay(
    kafka: KafkaConnection, dlq_topic: str, positions: Iterable[tuple[int, int]] | None
) -> list[DeadLetter]:
    """Republish the dead letters at (partition, offset) — all of them when `positions` is None."""
    wanted = set(positions) if positions is not None else None
    records = [
        r
        for r in await read_dead_letters(kafka, dlq_topic)
        if wanted is None or (r.partition, r.offset) in wanted
    ]
    if wanted is not None and len(records) != len(wanted):
        found = {(r.partition, r.offset) for r in records}
        raise ValueError(f"not on {dlq_topic}: {sorted(wanted - found)}")
    producer = AIOKafkaProducer(**kafka.aiokafka_options(), enable_idempotence=True, acks="all")
    await kafka_client.start(producer)
    try:
        for record in records:
            # Always the topic the dead-letter topic belongs to, never a header's say-so.
            origin = dlq_topic.removesuffix(DEAD_LETTER_SUFFIX)
            await producer.send_and_wait(
                origin, record.value, key=record.key, headers=replay_headers(record)
            )
    finally:
        await producer.stop()
    return [describe(r) for r in records]


app = typer.Typer(
    help="Read and replay dead letters (connects as the KAFKA_* variables say: the ops principal).",
    no_args_is_help=True,
)


@app.command("list")
def list_command(
    dlq_topic: str = typer.Argument(..., help="e.g. intake.applications.dlq"),
) -> None:
    """Print each dead letter as one JSON line: where it failed and why."""
    for record in asyncio.run(read_dead_letters(kafka_from_environment(), dlq_topic)):
        typer.echo(json.dumps(asdict(describe(record)), ensure_ascii=False))


@app.command("replay")
def replay_command(
    dlq_topic: str = typer.Argument(..., help="e.g. intake.applications.dlq"),
    at: Sequence[str] = typer.Option(
        (), "--at", help="PARTITION:OFFSET of a dead letter (repeatable); see `list`."
    ),
    replay_all: bool = typer.Option(False, "--all", help="Replay every dead letter."),
) -> None:
    """Republish dead letters to the topic they failed on, once the cause is fixed."""
    if bool(at) == replay_all:
        raise typer.BadParameter("give --at PARTITION:OFFSET (repeatable) or --all")
    positions = None if replay_all else [_position(p) for p in at]
    try:
        done = asyncio.run(replay(kafka_from_environment(), dlq_topic, positions))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(f"replayed {len(done)} dead letters from {dlq_topic}")


def _position(text: str) -> tuple[int, int]:
    partition, _, offset = text.partition(":")
    if not (partition.isdigit() and offset.isdigit()):
        raise typer.BadParameter(f"{text!r} is not PARTITION:OFFSET")
    return int(partition), int(offset)
