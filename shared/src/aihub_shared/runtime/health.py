"""Liveness and readiness. Readiness checks Postgres and Kafka, so an orchestrator sends no
traffic to an instance that cannot do its work."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

if TYPE_CHECKING:
    from aihub_shared.runtime.service import ServiceRuntime

health_router = APIRouter(prefix="/health", tags=["health"])


@health_router.get("/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@health_router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    runtime: ServiceRuntime | None = getattr(request.app.state, "runtime", None)
    checks: dict[str, Any] = {"postgres": False, "kafka": False}
    if runtime is not None:
        try:
            async with asyncio.timeout(2):
                checks["postgres"] = await runtime.pool.fetchval("SELECT true") is True
        except Exception as exc:
            checks["postgres_error"] = type(exc).__name__
        try:
            checks["kafka"] = bool(await runtime.broker.ping(timeout=2))
        except Exception as exc:
            checks["kafka_error"] = type(exc).__name__
        stopped = [t.get_name() for t in runtime.tasks if t.done()]
        if stopped:
            checks["stopped_tasks"] = stopped
    ok = checks["postgres"] is True and checks["kafka"] is True and "stopped_tasks" not in checks
    return JSONResponse({"status": "ready" if ok else "unready", **checks}, 200 if ok else 503)
