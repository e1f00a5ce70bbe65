"""The outbox relay: publishes committed outbox rows to Kafka in batches, in order.

One relay per service schema is active at a time (an advisory lock), so events of one aggregate
leave in the order they were written. A batch is sent without awaiting each message, flushed once,
and marked with one UPDATE. If any send fails the whole batch is retried on a fresh producer:
consumers deduplicate by event id, so a repeat is harmless and a loss is impossible.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidTopicError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordTooLargeError,
)
from prometheus_client import Counter, Gauge

from aihub_shared.runtime import inbox, kafka_client
from aihub_shared.runtime.failpoints import crash_if_armed
from aihub_shared.runtime.kafka_client import KafkaConnection
from aihub_shared.runtime.outbox import decode_headers
from aihub_shared.runtime.wakeup import Wakeup

log = structlog.get_logger(__name__)

# Sending these again can never succeed; everything else is retried.
NEVER_ACCEPTED = (MessageSizeTooLargeError, RecordTooLargeError, InvalidTopicError)

#: Longest wait for one batch to be sent and acknowledged (the producer's request timeout is 15 s).
SEND_TIMEOUT_SECONDS = 30.0

PUBLISHED = Counter("outbox_published_total", "Outbox rows published to Kafka", ["service"])
PUBLISH_FAILURES = Counter("outbox_publish_failures_total", "Failed outbox batches", ["service"])
SET_ASIDE = Counter(
    "outbox_set_aside_total",
    "Outbox rows Kafka refused for good (too large, bad topic)",
    ["service"],
)
PENDING = Gauge(
    "outbox_pending", "Outbox rows waiting to be published (counted after each batch)", ["service"]
)


def idempotent_producer(kafka: KafkaConnection, client_id: str) -> AIOKafkaProducer:
    # Idempotence without a transactional id needs only WRITE on the topics (Kafka >= 3.0),
    # so a service principal needs no cluster-wide IdempotentWrite grant.
    return AIOKafkaProducer(
        **kafka.aiokafka_options(),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=256 * 1024,
        request_timeout_ms=15_000,
    )


@dataclass
class RelayConfig:
    service: str
    batch_size: int = 500
    retention_days: int = 7
    inbox_retention_days: int = 35


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        wakeup: Wakeup,
        producer_factory: Callable[[], AIOKafkaProducer],
        config: RelayConfig,
    ) -> None:
        self._pool = pool
        self._wakeup = wakeup
        self._producer_factory = producer_factory
        self._config = config
        self._producer: AIOKafkaProducer | None = None
        self._stopping = asyncio.Event()
        self._lock_key = f"outbox-relay:{config.service}"

    async def _producer_ready(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = self._producer_factory()
            await kafka_client.start(producer)
            self._producer = producer
        return self._producer

    async def _discard_producer(self) -> None:
        # aiokafka's idempotent producer can stay stuck after a broker outage (aiokafka #1017):
        # only a new producer (new producer id, fresh sequences) is sure to recover.
        if self._producer is not None:
            with contextlib.suppress(Exception):  # a stop that hangs in an outage counts too
                await asyncio.wait_for(self._producer.stop(), timeout=SEND_TIMEOUT_SECONDS)
        self._producer = None

    async def publish_batch(self) -> int:
        """Publish up to one batch; returns how many rows were published."""
        async with self._pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval(
                "SELECT pg_try_advisory_xact_lock(hashtext($1))", self._lock_key
            ):
                return 0
            rows = await conn.fetch(
                "SELECT id, topic, key, value, headers FROM outbox"
                " WHERE published_at IS NULL AND failed_at IS NULL ORDER BY id LIMIT $1",
                self._config.batch_size,
            )
            if not rows:
                PENDING.labels(self._config.service).set(0)
                return 0
            producer = await self._producer_ready()
            sent: list[tuple[int, asyncio.Future[object]]] = []
            set_aside: list[tuple[int, str]] = []
            for r in rows:
                try:
                    future = await producer.send(
                        r["topic"], r["value"], key=r["key"], headers=decode_headers(r["headers"])
                    )
                except NEVER_ACCEPTED as exc:
                    set_aside.append((r["id"], repr(exc)))
                    continue
                sent.append((r["id"], future))
            # Bounded: with the broker gone, aiokafka can keep a batch's futures pending for
            # good, and the relay would neither retry nor say so (a TimeoutError is retried).
            outcomes = await asyncio.wait_for(
                asyncio.gather(*(f for _, f in sent), return_exceptions=True), SEND_TIMEOUT_SECONDS
            )
            crash_if_armed(f"after-publish:{self._config.service}")  # sent, not yet marked
            published: list[int] = []
            for (row_id, _), outcome in zip(sent, outcomes, strict=True):
                if isinstance(outcome, NEVER_ACCEPTED):
                    set_aside.append((row_id, repr(outcome)))
                elif isinstance(outcome, BaseException):
                    raise outcome  # nothing is marked: the whole batch goes again
                else:
                    published.append(row_id)
            await conn.execute(
                "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", published
            )
            if set_aside:
                await conn.executemany(
                    "UPDATE outbox SET failed_at = now(), failed_reason = $2 WHERE id = $1",
                    set_aside,
                )
                SET_ASIDE.labels(self._config.service).inc(len(set_aside))
                for row_id, reason in set_aside:
                    log.error(
                        "outbox row set aside: Kafka will never take it", id=row_id, reason=reason
                    )
        PUBLISHED.labels(self._config.service).inc(len(published))
        # A short batch took everything there was; after a full one, count what is left.
        left = 0 if len(rows) < self._config.batch_size else await self.count_pending()
        PENDING.labels(self._config.service).set(left)
        return len(rows)

    async def count_pending(self) -> int:
        """Rows waiting to be published (not those set aside), by the partial index."""
        count: int = await self._pool.fetchval(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL AND failed_at IS NULL"
        )
        return count

    async def _backlog_after_failure(self) -> int | None:
        """The backlog while publishing fails (None if Postgres cannot tell either)."""
        try:
            backlog = await self.count_pending()
        except Exception:  # a report, never a reason for the relay to stop
            return None
        PENDING.labels(self._config.service).set(backlog)
        return backlog

    async def purge_published(self) -> int:
        """Published rows past their retention go, and so do inbox claims past theirs (the
        relay is the one periodic task every service runs)."""
        async with self._pool.acquire() as conn:
            result: str = await conn.execute(
                "DELETE FROM outbox WHERE published_at < now() - make_interval(days => $1)",
                self._config.retention_days,
            )
            await inbox.prune(conn, self._config.inbox_retention_days)
        return int(result.split()[-1])

    async def run(self) -> None:
        backoff = 0.2
        purge_every, since_purge = 600.0, 0.0
        loop = asyncio.get_running_loop()
        last = loop.time()
        while not self._stopping.is_set():
            try:
                published = await self.publish_batch()
                backoff = 0.2
            except Exception as exc:  # the relay must outlive any fault; it retries with backoff
                PUBLISH_FAILURES.labels(self._config.service).inc()
                expected = isinstance(
                    exc, KafkaError | OSError | TimeoutError | asyncpg.PostgresError
                )
                # One line per attempt, at most every 10 s: the backlog while Kafka refuses it.
                log.warning(
                    "outbox batch failed; will retry",
                    error=repr(exc),
                    backoff=backoff,
                    backlog=await self._backlog_after_failure(),
                    exc_info=not expected,
                )
                await self._discard_producer()
                await self._sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            now = loop.time()
            since_purge, last = since_purge + now - last, now
            if since_purge >= purge_every:
                since_purge = 0.0
                try:
                    await self.purge_published()
                except Exception as exc:  # housekeeping never stops the relay
                    log.warning("outbox purge failed; next time", error=repr(exc))
            if published < self._config.batch_size:
                await self._wakeup.wait()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def stop(self) -> None:
        """Let the current batch finish, then flush and close the producer."""
        self._stopping.set()
        self._wakeup.poke()

    async def close(self) -> None:
        await self._discard_producer()
        await self._wakeup.close()
