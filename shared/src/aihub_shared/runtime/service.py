"""One way to run a service: a FastAPI app whose lifespan owns the pool, migrations, Kafka
consumers, the outbox relay and background workers, and stops them in a safe order on SIGTERM.

Shutdown order matters: consumers first (stop fetching, finish the in-flight batch, commit), then
background workers, then the relay (publish what those last transactions wrote), then the pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg
import structlog
import uvicorn
from fastapi import APIRouter, FastAPI, Request, Response
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from aihub_shared.runtime.consumer import ConsumerSpec, EventConsumer
from aihub_shared.runtime.db import apply_migrations, create_pool
from aihub_shared.runtime.dead_letter_admin import dead_letter_topics
from aihub_shared.runtime.dead_letter_reader import DeadLetterReader
from aihub_shared.runtime.health import health_router
from aihub_shared.runtime.http_body_limit import BodySizeLimit
from aihub_shared.runtime.http_errors import (
    answer_database_unavailable,
    answer_method_not_allowed_truly,
    answer_refusals,
    answer_validation_errors_encodably,
)
from aihub_shared.runtime.logging import configure_logging
from aihub_shared.runtime.relay import OutboxRelay, RelayConfig, idempotent_producer
from aihub_shared.runtime.retry import RetryPolicy
from aihub_shared.runtime.settings import ServiceSettings
from aihub_shared.runtime.subscription import subscribe
from aihub_shared.runtime.wakeup import Wakeup

log = structlog.get_logger(__name__)


class BackgroundWorker(Protocol):
    async def run(self) -> None: ...
    async def stop(self) -> None: ...


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    pool: asyncpg.Pool
    broker: KafkaBroker
    #: The relay and the workers: readiness fails if one of them has stopped.
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    #: The running consumers by name (dead-letter replays hand records back to them).
    consumers: dict[str, EventConsumer] = field(default_factory=dict)
    #: Reads the consumers' dead-letter topics for the operators, over one kept connection.
    dead_letters: DeadLetterReader | None = None


WorkersFactory = Callable[[ServiceRuntime], Sequence[BackgroundWorker]]
StartupHook = Callable[[ServiceRuntime], Awaitable[None]]


@dataclass
class ServiceDefinition:
    package: str  # the Python package holding `migrations/*.sql`
    title: str
    settings: ServiceSettings
    consumers: Sequence[ConsumerSpec]
    routers: Sequence[APIRouter] = ()
    workers: WorkersFactory = field(default=lambda runtime: ())
    on_startup: Sequence[StartupHook] = ()

    @property
    def name(self) -> str:
        """Also the Postgres schema and the consumer-group prefix."""
        return self.settings.service_name


def runtime_of(request: Request) -> ServiceRuntime:
    """FastAPI dependency: the running service's pool, broker and settings."""
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


def build_broker(settings: ServiceSettings, client_id: str) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        security=settings.kafka.faststream_security(),
        client_id=client_id,
        # Half of the shutdown budget for in-flight batches; workers and the relay share the rest.
        graceful_timeout=settings.shutdown_grace_seconds / 2,
        allow_auto_create_topics=False,
        logger=logging.getLogger("faststream"),
        # FastStream logs every batch received/processed; our consumer logs what matters.
        log_level=logging.DEBUG,
    )


def build_app(definition: ServiceDefinition) -> FastAPI:
    settings = definition.settings

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(definition.name, level=settings.log_level, json=settings.log_json)
        pool = await create_pool(settings.database_dsn, max_size=settings.pool_max_size)
        await apply_migrations(pool, definition.package)
        broker = build_broker(settings, definition.name)
        runtime = ServiceRuntime(settings=settings, pool=pool, broker=broker)
        retry = RetryPolicy(
            retry_later_max_seconds=settings.retry_later_max_seconds,
            unexpected_max_attempts=settings.unexpected_error_max_attempts,
        )
        for spec in definition.consumers:
            consumer = spec.build(pool, retry)
            subscribe(broker, consumer, batch_size=settings.consumer_batch_size)
            runtime.consumers[consumer.name] = consumer
        dead_letters = DeadLetterReader(settings.kafka, dead_letter_topics(runtime.consumers))
        runtime.dead_letters = dead_letters
        relay = OutboxRelay(
            pool,
            Wakeup(
                settings.database_dsn,
                f"{definition.name}_outbox",
                poll_interval=settings.outbox_poll_interval_seconds,
            ),
            lambda: idempotent_producer(settings.kafka, f"{definition.name}-relay"),
            RelayConfig(
                service=definition.name,
                batch_size=settings.outbox_batch_size,
                retention_days=settings.outbox_retention_days,
                inbox_retention_days=settings.inbox_retention_days,
            ),
        )
        relay_task = asyncio.create_task(relay.run(), name="outbox-relay")
        workers = list(definition.workers(runtime))
        worker_tasks = [asyncio.create_task(w.run(), name=type(w).__name__) for w in workers]
        runtime.tasks = [relay_task, *worker_tasks]
        for task in runtime.tasks:
            task.add_done_callback(_report_stopped)
        for hook in definition.on_startup:
            await hook(runtime)
        await broker.start()
        app.state.runtime = runtime
        log.info("service started", http_port=settings.http_port)
        try:
            yield
        finally:
            # One budget for the whole shutdown, so it ends before an orchestrator's SIGKILL.
            loop = asyncio.get_running_loop()
            deadline = loop.time() + settings.shutdown_grace_seconds
            log.info("service stopping")
            await broker.stop()
            for worker in workers:
                await worker.stop()
            await _settle(worker_tasks, max(deadline - loop.time(), 0.1) * 2 / 3)
            await relay.stop()
            await _settle([relay_task], max(deadline - loop.time(), 0.1))
            await relay.close()
            await dead_letters.close()
            await pool.close()
            log.info("service stopped")

    return http_app(definition, lifespan=lifespan)


def http_app(
    definition: ServiceDefinition, *, lifespan: Callable[[FastAPI], Any] | None = None
) -> FastAPI:
    """The service's HTTP surface: its routers, health, metrics and the shared error answers.
    Tests mount it without the lifespan and set `app.state.runtime` themselves."""
    app = FastAPI(title=definition.title, lifespan=lifespan)
    app.add_middleware(BodySizeLimit, max_bytes=definition.settings.http_max_body_bytes)
    answer_validation_errors_encodably(app)
    answer_refusals(app)
    answer_database_unavailable(app)
    answer_method_not_allowed_truly(app)
    app.include_router(health_router)
    for router in definition.routers:
        app.include_router(router)
    app.add_api_route("/metrics", _metrics, include_in_schema=False)
    return app


async def _metrics() -> Response:
    # A route, not a mounted app: a mount answers `/metrics` with a redirect to `/metrics/`.
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def _report_stopped(task: asyncio.Task[Any]) -> None:
    # Readiness reports a stopped task by name; the log says why, when it happens (an
    # exception of a task nobody awaits is otherwise only printed when it is collected).
    if task.cancelled():
        log.warning("background task cancelled", task=task.get_name())
    elif (error := task.exception()) is not None:
        log.error("background task stopped", task=task.get_name(), exc_info=error)
    else:
        log.info("background task ended", task=task.get_name())


async def _settle(tasks: Sequence[asyncio.Task[Any]], grace_seconds: float) -> None:
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def serve(definition: ServiceDefinition) -> None:
    """Run until SIGTERM/SIGINT; uvicorn drains HTTP, then the lifespan shuts the rest down."""
    settings = definition.settings
    serve_http(build_app(definition), host=settings.http_host, port=settings.http_port)


def serve_http(app: FastAPI, *, host: str, port: int) -> None:
    """Serve an ASGI app until SIGTERM/SIGINT, exiting 0 after a clean shutdown (the services,
    and the staff console, which has no Kafka and so no `ServiceDefinition`)."""
    # uvicorn re-raises the signal it caught once shutdown is complete; with the default handler
    # that would report a clean, finished shutdown as "killed by SIGTERM". Exit 0 instead.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        # Draining HTTP comes first and briefly: staff requests are short.
        timeout_graceful_shutdown=5,
    )
