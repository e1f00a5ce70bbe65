"""HTTP API for staff: read applications, decide on them, record withdrawals. OpenAPI at /docs."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from aihub_applications.domain.status import Status
from aihub_applications.entrypoints.dependencies import staff_of
from aihub_applications.entrypoints.views import (
    ApplicationDetail,
    ApplicationSummary,
    ReplicatedCohort,
)
from aihub_applications.service_layer import decisions, reading
from aihub_applications.settings import Settings
from aihub_shared.contracts.values import CODE_PATTERN, StatedReason
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.http_auth import StaffDependency, require_role
from aihub_shared.runtime.http_errors import CHANGE_ERRORS, READ_ONE_ERRORS, STAFF_ROUTE_ERRORS
from aihub_shared.runtime.http_params import MAX_OFFSET, correlation_header
from aihub_shared.runtime.service import ServiceRuntime, runtime_of


class RankedOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["accepted", "rejected"]
    rank: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="Place in the final ranking (acceptances only): the best `seats` ranks get"
        " a seat, the others are the ranked reserve that programs promotes in rank order.",
    )

    @model_validator(mode="after")
    def _rank_only_when_accepted(self) -> RankedOutcome:
        if self.rank is not None and self.outcome != "accepted":
            raise ValueError("only an acceptance carries a rank")
        return self


class DecisionRequest(RankedOutcome):
    reason: StatedReason


class BulkDecisionItem(RankedOutcome):
    application_id: uuid.UUID


class BulkDecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StatedReason
    decisions: list[BulkDecisionItem] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _each_once(self) -> BulkDecisionRequest:
        ids = [d.application_id for d in self.decisions]
        if len(set(ids)) != len(ids):
            raise ValueError("each application may appear once")
        ranks = [d.rank for d in self.decisions if d.rank is not None]
        if len(set(ranks)) != len(ranks):
            raise ValueError("each rank may be given once")
        return self


class WithdrawalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StatedReason


class DecisionResponse(BaseModel):
    application_id: uuid.UUID
    status: Status


def build_router(settings: Settings) -> APIRouter:
    current_staff = staff_of(settings)
    router = APIRouter(
        tags=["applications"],
        dependencies=[Depends(current_staff)],
        responses=STAFF_ROUTE_ERRORS,
    )
    _add_reading_routes(router, require_role(current_staff, Role.PROGRAM_MANAGER, Role.REVIEWER))
    _add_decision_routes(
        router,
        require_role(current_staff, Role.PROGRAM_MANAGER),
        require_role(current_staff, Role.PROGRAM_MANAGER, Role.OPS),
    )

    @router.get("/cohorts", tags=["cohorts"], response_model=list[ReplicatedCohort])
    async def list_cohorts(runtime: ServiceRuntime = Depends(runtime_of)) -> list[dict[str, Any]]:
        """The replica of the programs catalog this service decides eligibility with."""
        return await reading.list_cohorts(runtime.pool)

    return router


def _add_reading_routes(router: APIRouter, require_reading_role: StaffDependency) -> None:
    @router.get("/applications", response_model=list[ApplicationSummary])
    async def list_applications(
        response: Response,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_reading_role),
        cohort_code: str | None = Query(default=None, max_length=64, pattern=CODE_PATTERN),
        program_code: str | None = Query(default=None, max_length=64, pattern=CODE_PATTERN),
        status_: Status | None = Query(default=None, alias="status"),
        stage_code: str | None = Query(default=None, max_length=64, pattern=CODE_PATTERN),
        q: str | None = Query(
            default=None,
            min_length=1,
            max_length=200,
            pattern=r"^[^\x00]+$",
            description="Part of the startup name or of the contact's e-mail (literally, in any"
            " case), or the first digits of the business registration number.",
        ),
        limit: int = Query(default=50, ge=1, le=500),
        offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
    ) -> list[dict[str, Any]]:
        """A page of applications, oldest first; `X-Total-Count` has the number of matches.
        A program manager sees their programs' applications, a reviewer their assigned ones."""
        query = reading.ApplicationQuery(
            cohort_code=cohort_code,
            program_code=program_code,
            status=status_,
            stage_code=stage_code,
            search=q,
            limit=limit,
            offset=offset,
        )
        items, total = await reading.list_applications(runtime.pool, query, staff=staff)
        response.headers["X-Total-Count"] = str(total)
        return items

    # `:uuid`: only an id matches, so `GET /applications/decisions` is a 405, not a bad id.
    @router.get(
        "/applications/{application_id:uuid}",
        response_model=ApplicationDetail,
        responses=READ_ONE_ERRORS,
    )
    async def get_application(
        application_id: uuid.UUID,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_reading_role),
    ) -> dict[str, Any]:
        """The application with its history (actor, time, reason of every change) and reviews.
        A reviewer sees only their own reviews, so others' scores cannot sway them."""
        return await reading.application_for(runtime.pool, application_id, staff=staff)


def _add_decision_routes(
    router: APIRouter,
    require_manager_role: StaffDependency,
    require_withdrawing_role: StaffDependency,
) -> None:
    @router.post("/applications/{application_id}/decision", responses=CHANGE_ERRORS)
    async def decide_application(
        application_id: uuid.UUID,
        body: DecisionRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> DecisionResponse:
        """Accept (optionally with a rank) or reject one application in review, with a reason."""
        new_status = await decisions.decide(
            runtime.pool,
            decisions.Decision(application_id, body.outcome, body.rank),
            reason=body.reason,
            staff=staff,
            correlation_id=correlation_id,
        )
        return DecisionResponse(application_id=application_id, status=new_status)

    @router.post("/applications/decisions", responses=CHANGE_ERRORS)
    async def decide_applications(
        body: BulkDecisionRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> list[DecisionResponse]:
        """Many decisions with one reason, all or nothing: if one is refused (409, 404, 403)
        none is recorded, and the answer names the one refused."""
        statuses = await decisions.decide_many(
            runtime.pool,
            [decisions.Decision(d.application_id, d.outcome, d.rank) for d in body.decisions],
            reason=body.reason,
            staff=staff,
            correlation_id=correlation_id,
        )
        return [
            DecisionResponse(application_id=d.application_id, status=s)
            for d, s in zip(body.decisions, statuses, strict=True)
        ]

    @router.post("/applications/{application_id}/withdrawal", responses=CHANGE_ERRORS)
    async def withdraw_application(
        application_id: uuid.UUID,
        body: WithdrawalRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_withdrawing_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> DecisionResponse:
        """Record that the applicant withdrew (at any stage); publishes `application.withdrawn`.
        Program managers, admins and ops (for a publishing system relaying the applicant)."""
        new_status = await decisions.withdraw(
            runtime.pool,
            application_id,
            reason=body.reason,
            staff=staff,
            correlation_id=correlation_id,
        )
        return DecisionResponse(application_id=application_id, status=new_status)
