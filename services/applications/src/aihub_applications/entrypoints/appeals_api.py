"""HTTP API of appeals (이의제기): staff file an applicant's appeal of a stage decision, a
manager upholds or dismisses it, and staff read what the applicant may be told about a stage
(`appeal_disclosure`). Managers only (admin, the program's managers); the rules are in
`service_layer/appeals.py`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from aihub_applications.entrypoints.dependencies import CodePath, staff_of
from aihub_applications.service_layer import appeal_views, appeals
from aihub_applications.settings import Settings
from aihub_shared.contracts.applications import StageDisclosure
from aihub_shared.contracts.values import StatedReason
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.http_auth import require_role
from aihub_shared.runtime.http_errors import CHANGE_ERRORS, READ_ONE_ERRORS, STAFF_ROUTE_ERRORS
from aihub_shared.runtime.http_params import correlation_header
from aihub_shared.runtime.service import ServiceRuntime, runtime_of


class AppealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StatedReason
    disclose: bool = Field(
        default=False,
        description="The applicant asks to be told the stage's figures the cohort discloses.",
    )


class AppealDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["upheld", "dismissed"]
    reason: StatedReason


class AppealOut(BaseModel):
    appeal_id: uuid.UUID
    application_id: uuid.UUID
    stage_code: str = Field(description="The stage whose decision is appealed.")
    status: Literal["open", "upheld", "dismissed"]
    reason: str
    disclosure_requested: bool
    filed_by: str = Field(description="Staff e-mail, or `intake:<source>` of a publisher.")
    filed_at: datetime
    decision_at: datetime = Field(description="When the appealed rejection was made.")
    decision_reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    reinstated_to_stage: str | None = Field(
        description="Upheld: the stage the application is in review in again."
    )
    disclosure: StageDisclosure | None = Field(
        description="What the applicant is told (asked for): the stage score, the cut-off and,"
        " per the cohort, each criterion's average. Never reviewers or single reviews."
    )


class ApplicationAppealsOut(BaseModel):
    appealable_until: datetime | None = Field(
        description="Until when the latest rejection may be appealed; null: it may not be."
    )
    appeals: list[AppealOut] = Field(description="Oldest first.")


def _out(view: appeal_views.AppealView) -> AppealOut:
    return AppealOut(**vars(view))


def build_appeals_router(settings: Settings) -> APIRouter:
    current_staff = staff_of(settings)
    require_manager_role = require_role(current_staff, Role.PROGRAM_MANAGER)
    router = APIRouter(
        tags=["review"], dependencies=[Depends(current_staff)], responses=STAFF_ROUTE_ERRORS
    )

    @router.post("/applications/{application_id}/appeals", responses=CHANGE_ERRORS)
    async def file_appeal(
        application_id: uuid.UUID,
        body: AppealRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> AppealOut:
        """File the applicant's appeal (이의제기) of the application's latest rejection, within
        its stage's `appeal_window_days` (`appeal.filed`); 409 past the window, for a decision
        already appealed, or for an application that is not rejected."""
        view = await appeals.file_appeal(
            runtime.pool,
            application_id,
            body.reason,
            disclose=body.disclose,
            staff=staff,
            correlation_id=correlation_id,
        )
        return _out(view)

    @router.get("/applications/{application_id}/appeals", responses=READ_ONE_ERRORS)
    async def read_appeals(
        application_id: uuid.UUID,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
    ) -> ApplicationAppealsOut:
        """The application's appeals, and until when its latest rejection may be appealed."""
        state = await appeal_views.appeals_of(runtime.pool, application_id, staff=staff)
        return ApplicationAppealsOut(
            appealable_until=state.appealable_until, appeals=[_out(v) for v in state.appeals]
        )

    @router.post("/appeals/{appeal_id}/decision", responses=CHANGE_ERRORS)
    async def decide_appeal(
        appeal_id: uuid.UUID,
        body: AppealDecision,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> AppealOut:
        """Uphold (the application is in review again, advanced past the appealed stage as by
        hand when it was scored and not the last) or dismiss an open appeal, with the reason
        (`appeal.decided`, which mails the applicant); 409 once decided."""
        view = await appeals.decide_appeal(
            runtime.pool,
            appeal_id,
            body.outcome,
            body.reason,
            staff=staff,
            correlation_id=correlation_id,
        )
        return _out(view)

    @router.get(
        "/applications/{application_id}/stages/{stage_code}/disclosure",
        responses=READ_ONE_ERRORS,
    )
    async def read_disclosure(
        application_id: uuid.UUID,
        stage_code: CodePath,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
    ) -> StageDisclosure:
        """What the applicant may be told about a stage, as the stage's `appeal_disclosure`
        says: its score and cut-off, and each criterion's average — never who reviewed it nor
        any one review (level `none`: no figures)."""
        return await appeal_views.stage_disclosure(
            runtime.pool, application_id, stage_code, staff=staff
        )

    return router
