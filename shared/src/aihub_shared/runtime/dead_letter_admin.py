"""Dead letters over HTTP, one service at a time: what its own consumers set aside, and a replay
that hands one back to the consumer that failed it.

Least privilege: a service reads only the dead-letter topics of the topics it consumes (its row
in `kafka_access/table.py`) and shows only the dead letters its own consumers wrote (the
`dlq_consumer` header; a topic two services consume has one dead-letter topic for both). A
replay writes to no topic: the record goes through the consumer's own decoding and inbox-guarded
claim-and-apply (`EventConsumer.replay`) in one transaction with the row recording who replayed
it, so replaying twice, or replaying an event that arrived again meanwhile, changes nothing. A
replay that fails again writes nothing but that row; the dead letter stays where it is.

The handed-back record keeps the dead letter's timestamp (when it was set aside, moments after
it arrived), so a rule judged on arrival — an application window — is judged as it would have
been, not at replay time.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import structlog
from aiokafka import ConsumerRecord

from aihub_shared.contracts.topics import DEAD_LETTER_SUFFIX, dead_letter_topic
from aihub_shared.refusals import Conflict, NotFound
from aihub_shared.runtime.consumer import EventConsumer
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.dead_letter_reader import DeadLetterReader
from aihub_shared.runtime.deadletters import (
    DeadLetter,
    describe,
    read_dead_letter,
    replay_headers,
)
from aihub_shared.runtime.errors import ReplayFailed
from aihub_shared.runtime.kafka_client import KafkaConnection
from aihub_shared.runtime.logging import mask_email

log = structlog.get_logger(__name__)

#: The consumer's outcome of a replay, as the API names it.
OUTCOMES = {"done": "applied", "duplicate": "already-applied", "ignored": "ignored"}


@dataclass(frozen=True)
class Replay:
    """One replay of a dead letter: who asked, when, and what came of it."""

    outcome: str  # applied, already-applied, ignored, failed
    requested_by: str
    replayed_at: datetime
    reason: str | None


@dataclass(frozen=True)
class DeadLetterEntry:
    topic: str
    letter: DeadLetter
    event_type: str | None
    event_id: str | None
    size: int
    replays: tuple[Replay, ...]


@dataclass(frozen=True)
class DeadLetterContent:
    """A dead letter's bytes as text (undecodable bytes replaced) and its original headers."""

    entry: DeadLetterEntry
    value: str
    headers: tuple[tuple[str, str], ...]


def dead_letter_topics(consumers: Mapping[str, EventConsumer]) -> list[str]:
    """The dead-letter topics of every topic these consumers read."""
    return sorted({dead_letter_topic(t) for c in consumers.values() for t in c.topics})


@dataclass(frozen=True)
class DeadLetterDesk:
    """The dead letters of one service's consumers; `kafka` is the service's own principal."""

    kafka: KafkaConnection
    pool: asyncpg.Pool
    consumers: Mapping[str, EventConsumer]
    #: The service's reader kept between requests; without it (tests), one per read.
    reader: DeadLetterReader | None = None

    def topics(self) -> list[str]:
        """The dead-letter topics of every topic this service consumes."""
        return dead_letter_topics(self.consumers)

    async def letters(self, topic: str | None = None) -> list[DeadLetterEntry]:
        """This service's dead letters (of one topic, or all), newest first."""
        topics = [self._own_topic(topic)] if topic is not None else self.topics()
        if self.reader is not None:
            read = await self.reader.read(topics)
        else:
            async with DeadLetterReader(self.kafka, topics) as reader:
                read = await reader.read()
        found = [
            (name, record)
            for name in topics
            for record in read[name]
            if describe(record).consumer in self.consumers
        ]
        replays = await self._replays(topics)
        entries = [
            _entry(name, r, replays.get((name, r.partition, r.offset), ())) for name, r in found
        ]
        return sorted(entries, key=lambda e: e.letter.dead_lettered_at, reverse=True)

    async def get(self, topic: str, partition: int, offset: int) -> DeadLetterContent:
        record = await self._own_record(topic, partition, offset)
        replays = await self._replays([topic])
        entry = _entry(topic, record, replays.get((topic, partition, offset), ()))
        headers = tuple(
            (name, value.decode("utf-8", "replace"))
            for name, value in replay_headers(record)[:-1]  # without the replay marker it adds
        )
        return DeadLetterContent(entry, (record.value or b"").decode("utf-8", "replace"), headers)

    async def replay(self, topic: str, partition: int, offset: int, requested_by: str) -> Replay:
        """Hand the dead letter back to the consumer that failed it; `Conflict` with the reason
        if it fails again."""
        record = await self._own_record(topic, partition, offset)
        consumer = self.consumers[describe(record).consumer]
        handed_back = dataclasses.replace(
            record,
            # Always the topic the dead-letter topic belongs to, never a header's say-so.
            topic=topic.removesuffix(DEAD_LETTER_SUFFIX),
            headers=[(k, v) for k, v in record.headers or () if not k.startswith("dlq_")],
        )
        position = (topic, partition, offset)
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                outcome = OUTCOMES[await consumer.replay(conn, handed_back)]
                done = await _record_replay(conn, position, consumer.name, requested_by, outcome)
        except ReplayFailed as exc:
            reason = f"{exc.reason}: {exc.detail}"[:2000]
            async with self.pool.acquire() as conn:
                await _record_replay(
                    conn, position, consumer.name, requested_by, "failed", reason=reason
                )
            log.warning(
                "dead letter failed again on replay",
                dead_letter=":".join(map(str, position)),
                requested_by=mask_email(requested_by),
                reason=exc.reason,
            )
            raise Conflict(f"the dead letter failed again ({reason})") from exc
        log.info(
            "dead letter replayed",
            dead_letter=":".join(map(str, position)),
            consumer=consumer.name,
            outcome=outcome,
            requested_by=mask_email(requested_by),
        )
        return done

    def _own_topic(self, topic: str) -> str:
        if topic not in self.topics():
            raise NotFound(f"{topic!r} is not a dead-letter topic of this service")
        return topic

    async def _own_record(self, topic: str, partition: int, offset: int) -> ConsumerRecord:
        record = await read_dead_letter(self.kafka, self._own_topic(topic), partition, offset)
        if record is None or describe(record).consumer not in self.consumers:
            raise NotFound(f"no dead letter of this service at {topic}:{partition}:{offset}")
        return record

    async def _replays(
        self, topics: Sequence[str]
    ) -> dict[tuple[str, int, int], tuple[Replay, ...]]:
        rows = await self.pool.fetch(
            "SELECT dlq_topic, dlq_partition, dlq_offset, outcome, requested_by, replayed_at,"
            " reason FROM dead_letter_replays WHERE dlq_topic = ANY($1) ORDER BY id",
            list(topics),
        )
        found: dict[tuple[str, int, int], list[Replay]] = {}
        for row in rows:
            key = (row["dlq_topic"], row["dlq_partition"], row["dlq_offset"])
            found.setdefault(key, []).append(
                Replay(row["outcome"], row["requested_by"], row["replayed_at"], row["reason"])
            )
        return {key: tuple(replays) for key, replays in found.items()}


def _entry(topic: str, record: ConsumerRecord, replays: Sequence[Replay]) -> DeadLetterEntry:
    event_type, event_id = _event_names(record.value or b"")
    return DeadLetterEntry(
        topic=topic,
        letter=describe(record),
        event_type=event_type,
        event_id=event_id,
        size=len(record.value or b""),
        replays=tuple(replays),
    )


def _event_names(value: bytes) -> tuple[str | None, str | None]:
    """The CloudEvent `type` and `id`, when the bytes are far enough from garbage to say them."""
    try:
        document = json.loads(value)
    except ValueError:
        return None, None
    if not isinstance(document, dict):
        return None, None
    names = (document.get("type"), document.get("id"))
    return tuple(n if isinstance(n, str) else None for n in names)  # type: ignore[return-value]


async def _record_replay(
    conn: DbConnection,
    position: tuple[str, int, int],
    consumer: str,
    requested_by: str,
    outcome: str,
    *,
    reason: str | None = None,
) -> Replay:
    row = await conn.fetchrow(
        "INSERT INTO dead_letter_replays (dlq_topic, dlq_partition, dlq_offset, consumer,"
        " requested_by, outcome, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " RETURNING replayed_at",
        *position,
        consumer,
        requested_by,
        outcome,
        reason,
    )
    assert row is not None
    return Replay(outcome, requested_by, row["replayed_at"], reason)
