"""HTTP API for staff: read applications, decide on them. OpenAPI at /docs."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field

from aihub_applications.adapters import repository
from aihub_applications.domain.status import IllegalTransition, Status
from aihub_applications.service_layer.decisions import ApplicationNotFound, decide
from aihub_applications.settings import Settings
from aihub_shared.contracts.values import FreeText
from aihub_shared.runtime.auth import Role, StaffPrincipal, require_role, staff_principal
from aihub_shared.runtime.service import ServiceRuntime, runtime_of


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["accepted", "rejected"]
    reason: FreeText = Field(min_length=1, max_length=2000)


class DecisionResponse(BaseModel):
    application_id: uuid.UUID
    status: Status


def build_router(settings: Settings) -> APIRouter:
    current_staff = staff_principal(lambda: settings.staff_token_secret)
    require_manager = require_role(current_staff, Role.PROGRAM_MANAGER)
    router = APIRouter(tags=["applications"], dependencies=[Depends(current_staff)])

    @router.get("/applications")
    async def list_applications(
        runtime: ServiceRuntime = Depends(runtime_of),
        cohort_code: str | None = Query(default=None, max_length=64),
        status_: Status | None = Query(default=None, alias="status"),
        limit: int = Query(default=50, ge=1, le=500),
        offset: int = Query(default=0, ge=0),
    ) -> list[dict[str, Any]]:
        async with runtime.pool.acquire() as conn:
            return await repository.list_applications(
                conn,
                cohort_code=cohort_code,
                status=status_.value if status_ else None,
                limit=limit,
                offset=offset,
            )

    @router.get("/applications/{application_id}")
    async def get_application(
        application_id: uuid.UUID, runtime: ServiceRuntime = Depends(runtime_of)
    ) -> dict[str, Any]:
        async with runtime.pool.acquire() as conn:
            detail = await repository.application_detail(conn, application_id)
        if detail is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such application")
        return detail

    @router.post("/applications/{application_id}/decision")
    async def decide_application(
        application_id: uuid.UUID,
        body: DecisionRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager),
        correlation_id: str | None = Header(
            default=None,
            alias="X-Correlation-Id",
            max_length=128,
            pattern=r"^[A-Za-z0-9._:-]+$",
            description="Carried by every event this decision causes, for tracing.",
        ),
    ) -> DecisionResponse:
        try:
            new_status = await decide(
                runtime.pool,
                application_id,
                outcome=body.outcome,
                reason=body.reason,
                actor=staff.id,
                correlation_id=correlation_id,
            )
        except ApplicationNotFound as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such application") from exc
        except IllegalTransition as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
        return DecisionResponse(application_id=application_id, status=new_status)

    @router.get("/cohorts", tags=["cohorts"])
    async def list_cohorts(runtime: ServiceRuntime = Depends(runtime_of)) -> list[dict[str, Any]]:
        """The replica of the programs catalog this service decides eligibility with."""
        async with runtime.pool.acquire() as conn:
            return await repository.list_cohorts(conn)

    return router
