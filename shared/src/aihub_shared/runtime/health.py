"""Liveness and two kinds of readiness, because an instance can serve HTTP without Kafka.

- `/health/live`: the process answers (restart it otherwise).
- `/health/ready`: it can serve HTTP — Postgres answers and its relay and workers run. This is
  what a load balancer probes: writes go through the outbox, so an API whose Kafka is down still
  serves correctly and must keep its traffic.
- `/health/consumers`: it can consume — Kafka answers. For monitoring and alerts, not for
  routing traffic.

Both readiness answers name each dependency with `ok` and, when down, why; 503 when one is down.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from aihub_shared.runtime.service import ServiceRuntime

health_router = APIRouter(prefix="/health", tags=["health"])

PROBE_TIMEOUT_SECONDS = 2.0


class DependencyCheck(BaseModel):
    ok: bool
    error: str | None = Field(default=None, description="Why it is down (the error's kind).")


class Readiness(BaseModel):
    status: Literal["ready", "unready"]
    checks: dict[str, DependencyCheck] = Field(description="Each dependency by name.")
    down: list[str] = Field(description="The dependencies (or stopped tasks) that are down.")


class Liveness(BaseModel):
    status: Literal["ok"]


_READINESS_ANSWERS: dict[int | str, dict[str, object]] = {
    503: {"model": Readiness, "description": "A dependency is down; `down` names it."}
}


@health_router.get("/live")
async def live() -> Liveness:
    return Liveness(status="ok")


@health_router.get("/ready", response_model=Readiness, responses=_READINESS_ANSWERS)
async def ready(request: Request) -> JSONResponse:
    """Can serve HTTP: Postgres answers and no background task (relay, workers) has stopped.
    Kafka is not asked: while it is down, writes wait in the outbox."""
    runtime = _runtime(request)
    checks = {"postgres": await _postgres(runtime)}
    if runtime is not None:
        stopped = [t.get_name() for t in runtime.tasks if t.done()]
        checks["background_tasks"] = DependencyCheck(
            ok=not stopped, error=f"stopped: {', '.join(stopped)}" if stopped else None
        )
    return _answer(checks)


@health_router.get("/consumers", response_model=Readiness, responses=_READINESS_ANSWERS)
async def consumers(request: Request) -> JSONResponse:
    """Can consume and publish: Kafka answers. Monitor it; do not route traffic by it."""
    return _answer({"kafka": await _kafka(_runtime(request))})


def _runtime(request: Request) -> ServiceRuntime | None:
    runtime: ServiceRuntime | None = getattr(request.app.state, "runtime", None)
    return runtime


async def _postgres(runtime: ServiceRuntime | None) -> DependencyCheck:
    if runtime is None:
        return DependencyCheck(ok=False, error="not started")
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            ok = await runtime.pool.fetchval("SELECT true") is True
    except Exception as exc:  # any failure means "down"; its kind is the answer
        return DependencyCheck(ok=False, error=type(exc).__name__)
    return DependencyCheck(ok=ok)


async def _kafka(runtime: ServiceRuntime | None) -> DependencyCheck:
    if runtime is None:
        return DependencyCheck(ok=False, error="not started")
    try:
        ok = bool(await runtime.broker.ping(timeout=PROBE_TIMEOUT_SECONDS))
    except Exception as exc:
        return DependencyCheck(ok=False, error=type(exc).__name__)
    return DependencyCheck(ok=ok, error=None if ok else "no broker answered")


def _answer(checks: dict[str, DependencyCheck]) -> JSONResponse:
    down = [name for name, check in checks.items() if not check.ok]
    body = Readiness(status="unready" if down else "ready", checks=checks, down=down)
    return JSONResponse(body.model_dump(mode="json"), status_code=503 if down else 200)
