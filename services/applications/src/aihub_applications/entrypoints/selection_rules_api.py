"""HTTP API of the cohort's selection rules that staff act on: bonus points (가점), the
reviewer pledge (평가위원 서약) and challenges of a reviewer (기피 신청). The rules
that only change how scores count (trimmed mean, calibration, cut-offs) are stage settings in
the catalog and show in the ranking (`selection_api.py`). Managers only (admin, the program's
managers)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from aihub_applications.entrypoints.dependencies import CodePath, staff_of
from aihub_applications.service_layer import bonus_points, challenges, pledges
from aihub_applications.settings import Settings
from aihub_shared.contracts.values import StatedReason
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.http_auth import StaffDependency, require_role
from aihub_shared.runtime.http_errors import CHANGE_ERRORS, READ_ONE_ERRORS, STAFF_ROUTE_ERRORS
from aihub_shared.runtime.http_params import correlation_header
from aihub_shared.runtime.service import ServiceRuntime, runtime_of


class BonusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StatedReason


class PledgeAnswer(BaseModel):
    stage_code: str
    required: bool = Field(description="Whether the stage refuses scores until it is accepted.")
    version: str
    text: dict[str, str] = Field(description="The pledge in Korean (`ko`) and English (`en`).")
    accepted_at: datetime | None = Field(description="When the caller accepted it; null: not.")


class ChallengeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reviewer_id: Annotated[EmailStr, AfterValidator(str.lower)] = Field(
        max_length=254, description="The challenged reviewer's e-mail."
    )
    reason: StatedReason


class ChallengeDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["upheld", "dismissed"]
    reason: StatedReason


class ChallengeOut(BaseModel):
    challenge_id: uuid.UUID
    status: str = Field(description="`open`, `upheld` or `dismissed`.")
    replacement: str | None = Field(
        default=None, description="Upheld: the reviewer who took the place (null: pool empty)."
    )


class BonusAnswer(BaseModel):
    granted: list[str] = Field(description="The application's granted bonus item codes.")
    total: float = Field(description="What they add to its final score (capped).")


def build_selection_rules_router(settings: Settings) -> APIRouter:
    current_staff = staff_of(settings)
    require_manager_role = require_role(current_staff, Role.PROGRAM_MANAGER)
    router = APIRouter(
        tags=["review"], dependencies=[Depends(current_staff)], responses=STAFF_ROUTE_ERRORS
    )
    _add_bonus_routes(router, require_manager_role)
    _add_pledge_routes(router, require_role(current_staff, Role.PROGRAM_MANAGER, Role.REVIEWER))
    _add_challenge_routes(router, require_manager_role)
    return router


def _add_challenge_routes(router: APIRouter, require_manager_role: StaffDependency) -> None:
    @router.post(
        "/applications/{application_id}/stages/{stage_code}/challenges", responses=CHANGE_ERRORS
    )
    async def file_challenge(
        application_id: uuid.UUID,
        stage_code: CodePath,
        body: ChallengeRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> ChallengeOut:
        """File the applicant's challenge (기피 신청) of a reviewer of the application's current
        stage (`review.challenged`): their scores stop counting until it is decided."""
        answer = await challenges.file_challenge(
            runtime.pool,
            application_id,
            stage_code,
            str(body.reviewer_id),
            body.reason,
            staff=staff,
            correlation_id=correlation_id,
        )
        return ChallengeOut(**vars(answer))

    @router.post("/challenges/{challenge_id}/decision", responses=CHANGE_ERRORS)
    async def decide_challenge(
        challenge_id: uuid.UUID,
        body: ChallengeDecision,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> ChallengeOut:
        """Uphold (the reviewer is replaced from the pool, their scores dropped) or dismiss
        (their scores count again) an open challenge, with the reason
        (`review.challenge_decided`); 409 once decided."""
        answer = await challenges.decide_challenge(
            runtime.pool,
            challenge_id,
            body.outcome,
            body.reason,
            staff=staff,
            correlation_id=correlation_id,
        )
        return ChallengeOut(**vars(answer))


def _add_pledge_routes(router: APIRouter, require_reviewing_role: StaffDependency) -> None:
    @router.get("/cohorts/{cohort_code}/stages/{stage_code}/pledge", responses=READ_ONE_ERRORS)
    async def read_pledge(
        cohort_code: CodePath,
        stage_code: CodePath,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_reviewing_role),
    ) -> PledgeAnswer:
        """The reviewer pledge (평가위원 서약) of a stage, for a reviewer of its pool, and when
        they accepted it."""
        state = await pledges.pledge_state(runtime.pool, cohort_code, stage_code, staff=staff)
        return PledgeAnswer(**vars(state))

    @router.post("/cohorts/{cohort_code}/stages/{stage_code}/pledge", responses=CHANGE_ERRORS)
    async def accept_pledge(
        cohort_code: CodePath,
        stage_code: CodePath,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_reviewing_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> PledgeAnswer:
        """Accept the stage's pledge, once, recorded with its time (`review.pledged`); a stage
        with `pledge_required` refuses the reviewer's scores until then."""
        state = await pledges.accept_pledge(
            runtime.pool, cohort_code, stage_code, staff=staff, correlation_id=correlation_id
        )
        return PledgeAnswer(**vars(state))


def _add_bonus_routes(router: APIRouter, require_manager_role: StaffDependency) -> None:
    @router.put("/applications/{application_id}/bonus-points/{item_code}", responses=CHANGE_ERRORS)
    async def grant_bonus(
        application_id: uuid.UUID,
        item_code: CodePath,
        body: BonusChange,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> BonusAnswer:
        """Grant one of the cohort's bonus items (가점) to an application in review, with the
        reason (`bonus_points.granted`). Granting it again changes nothing."""
        state = await bonus_points.change_bonus(
            runtime.pool,
            application_id,
            item_code,
            body.reason,
            granted=True,
            staff=staff,
            correlation_id=correlation_id,
        )
        return BonusAnswer(granted=state.granted, total=state.total)

    @router.post(
        "/applications/{application_id}/bonus-points/{item_code}/revocation",
        responses=CHANGE_ERRORS,
    )
    async def revoke_bonus(
        application_id: uuid.UUID,
        item_code: CodePath,
        body: BonusChange,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> BonusAnswer:
        """Take back a granted bonus item, with the reason (`bonus_points.revoked`); taking
        back one not granted changes nothing."""
        state = await bonus_points.change_bonus(
            runtime.pool,
            application_id,
            item_code,
            body.reason,
            granted=False,
            staff=staff,
            correlation_id=correlation_id,
        )
        return BonusAnswer(granted=state.granted, total=state.total)
