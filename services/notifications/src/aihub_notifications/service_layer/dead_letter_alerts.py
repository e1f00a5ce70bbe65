"""Dead-letter alerts for ops: every `*.dlq` topic of the platform is read into `dead_letters`
(once per position), and once per window each ops subscriber gets one mail summarising what
arrived since the last alert — never one mail per message.

The dead-letter topics hold other services' raw bytes, not our events, so this is a plain aiokafka
consumer rather than the kit's event consumer: it only reads the `dlq_*` headers the kit's
consumers write (`aihub_shared.runtime.deadletters.describe`). Offsets are committed after the
rows are; a crash between the two inserts nothing twice (unique position).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from prometheus_client import Counter

from aihub_notifications.adapters import directory
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.alerts import DeadLetterSeen, alert_mails
from aihub_notifications.domain.staff import MailKind, staff_recipients
from aihub_notifications.service_layer.mailing import queue_requests
from aihub_shared.contracts.topics import ALL_TOPICS, DEAD_LETTER_SUFFIX
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.deadletters import describe
from aihub_shared.runtime.kafka_client import KafkaConnection

log = structlog.get_logger(__name__)

DEAD_LETTERS_SEEN = Counter(
    "dead_letters_seen_total", "Dead letters read from the platform's *.dlq topics", ["topic"]
)
ALERT_EVENT_TYPE = "dead-letter-alert"


def dead_letter_topics() -> list[str]:
    return sorted(t.name for t in ALL_TOPICS if t.name.endswith(DEAD_LETTER_SUFFIX))


async def record_dead_letters(conn: DbConnection, records: Sequence[ConsumerRecord]) -> int:
    """Store what each record's `dlq_*` headers say; a position already stored is skipped."""
    rows = []
    for record in records:
        letter = describe(record)
        origin = letter.origin.split(":", 1)[0] or record.topic.removesuffix(DEAD_LETTER_SUFFIX)
        rows.append(
            (
                record.topic,
                record.partition,
                record.offset,
                origin,
                letter.reason or "unknown",
                letter.detail[:2000],
                letter.consumer or "unknown",
                letter.dead_lettered_at,
            )
        )
    inserted = await conn.fetch(
        "INSERT INTO dead_letters (dlq_topic, dlq_partition, dlq_offset, origin_topic, reason,"
        " detail, consumer, dead_lettered_at)"
        " SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::text[],"
        " $6::text[], $7::text[], $8::text[])"
        " ON CONFLICT DO NOTHING RETURNING dlq_topic",
        *[list(column) for column in zip(*rows, strict=True)],
    )
    for row in inserted:
        DEAD_LETTERS_SEEN.labels(row["dlq_topic"]).inc()
    return len(inserted)


@dataclass(frozen=True)
class CollectorConfig:
    kafka: KafkaConnection
    group_id: str = "notifications.dead-letters"
    topics: tuple[str, ...] = tuple(dead_letter_topics())
    pause_seconds: float = 2.0


class DeadLetterCollector:
    """A `BackgroundWorker`: reads every dead-letter topic into `dead_letters`."""

    def __init__(self, pool: asyncpg.Pool, config: CollectorConfig) -> None:
        self._pool = pool
        self._config = config
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            consumer = AIOKafkaConsumer(
                *self._config.topics,
                **self._config.kafka.aiokafka_options(),
                group_id=self._config.group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
            )
            try:
                await consumer.start()
                while not self._stopping.is_set():
                    batches = await consumer.getmany(timeout_ms=500, max_records=500)
                    records = [r for batch in batches.values() for r in batch]
                    if not records:
                        continue
                    async with self._pool.acquire() as conn, conn.transaction():
                        new = await record_dead_letters(conn, records)
                    await consumer.commit()
                    log.info("dead letters recorded", new=new, read=len(records))
            except Exception:
                # Kafka or Postgres away: start again from the committed offsets after a pause.
                log.exception("dead-letter collector failed; restarting")
                await self._sleep(self._config.pause_seconds)
            finally:
                with contextlib.suppress(Exception):
                    await consumer.stop()

    async def stop(self) -> None:
        self._stopping.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)


async def alert_once(pool: asyncpg.Pool, renderer: MailRenderer) -> int:
    """Summarise every dead letter not alerted yet into one mail per ops subscriber, and mark
    them alerted, in one transaction. Returns how many dead letters the alert covered; with no
    subscriber, none: they wait for the first alert someone receives."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "SELECT id, dlq_topic, origin_topic, reason, detail, consumer FROM dead_letters"
            " WHERE alerted_at IS NULL ORDER BY id FOR UPDATE SKIP LOCKED"
        )
        if not rows:
            return 0
        letters = [DeadLetterSeen(**dict(r)) for r in rows]
        recipients = staff_recipients(
            MailKind.DEAD_LETTERS,
            None,
            cohort_managers=(),
            directory=await directory.staff_directory(conn),
        )
        if not recipients:
            # Kept, not dropped: the first alert after someone subscribes covers them all
            # (and `aihub-dead-letters list` shows them meanwhile).
            log.warning(
                "dead letters kept for the next alert: no ops subscriber yet",
                count=len(letters),
            )
            return 0
        first, last = letters[0].id, letters[-1].id
        await queue_requests(
            conn,
            alert_mails(recipients, letters),
            renderer,
            # The covered id range is the alert's identity: a retried transaction queues the
            # same deliveries, never a second alert for the same dead letters.
            event_id=f"dead-letters:{first}-{last}",
            event_type=ALERT_EVENT_TYPE,
        )
        await conn.execute(
            "UPDATE dead_letters SET alerted_at = now() WHERE id = ANY($1::bigint[])",
            [letter.id for letter in letters],
        )
    log.info("dead-letter alert queued", dead_letters=len(letters), recipients=len(recipients))
    return len(letters)


class DeadLetterAlerter:
    """A `BackgroundWorker`: one alert per window at most, and only when there is news."""

    def __init__(
        self, pool: asyncpg.Pool, renderer: MailRenderer, *, window_seconds: float
    ) -> None:
        self._pool = pool
        self._renderer = renderer
        self._window = window_seconds
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await alert_once(self._pool, self._renderer)
            except Exception:
                log.exception("dead-letter alert failed; next window")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._window)

    async def stop(self) -> None:
        self._stopping.set()
