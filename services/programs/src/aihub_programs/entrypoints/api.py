"""HTTP API of the programs service (the full catalog API arrives with the programs issue)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException

from aihub_programs.adapters import repository
from aihub_programs.settings import Settings
from aihub_shared.runtime.auth import staff_principal
from aihub_shared.runtime.service import ServiceRuntime, runtime_of


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter(
        tags=["cohorts"],
        dependencies=[Depends(staff_principal(lambda: settings.staff_token_secret))],
    )

    @router.get("/cohorts/{cohort_code}")
    async def get_cohort(
        cohort_code: str, runtime: ServiceRuntime = Depends(runtime_of)
    ) -> dict[str, Any]:
        async with runtime.pool.acquire() as conn:
            view = await repository.cohort_view(conn, cohort_code)
            if view is None:
                raise HTTPException(404, detail=f"no cohort {cohort_code!r}")
            enrollments = await repository.cohort_enrollments(conn, cohort_code)
        confirmed = sum(1 for e in enrollments if e["status"] == "confirmed")
        return {**view, "seats_taken": confirmed, "enrollments": enrollments}

    return router
