"""`/health/live` and `/health/ready` (Postgres answers), in the services' answer shapes. The
console consumes nothing, so it has no `/health/consumers`."""

from __future__ import annotations

import asyncio

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from aihub_shared.runtime.health import DependencyCheck, Liveness, Readiness

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live() -> Liveness:
    return Liveness(status="ok")


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}})
async def ready(request: Request) -> JSONResponse:
    pool: asyncpg.Pool | None = getattr(request.app.state, "pool", None)
    check = DependencyCheck(ok=False, error="not started")
    if pool is not None:
        try:
            async with asyncio.timeout(2.0):
                check = DependencyCheck(ok=await pool.fetchval("SELECT true") is True)
        except Exception as exc:  # any failure means "down"; its kind is the answer
            check = DependencyCheck(ok=False, error=type(exc).__name__)
    down = [] if check.ok else ["postgres"]
    body = Readiness(status="unready" if down else "ready", checks={"postgres": check}, down=down)
    return JSONResponse(body.model_dump(mode="json"), status_code=503 if down else 200)
