"""HTTP API of what a cohort's managers read of its selection rules (the console shows them):
the challenges (기피 신청), an application's bonus points (가점), a stage's external-share
check (외부 평가위원) and the cohort's appeals (이의제기). The changes are
`selection_rules_api.py` and `appeals_api.py`. Managers only (admin, the program's managers)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from aihub_applications.entrypoints.appeals_api import AppealOut
from aihub_applications.entrypoints.dependencies import CodePath, staff_of
from aihub_applications.service_layer import rule_reads
from aihub_applications.settings import Settings
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.http_auth import require_role
from aihub_shared.runtime.http_errors import READ_ONE_ERRORS, STAFF_ROUTE_ERRORS
from aihub_shared.runtime.service import ServiceRuntime, runtime_of


class ChallengeView(BaseModel):
    """One challenge of a reviewer (기피 신청) and, once decided, its decision."""

    challenge_id: uuid.UUID
    application_id: uuid.UUID
    startup_name: str
    stage_code: str
    reviewer_id: str = Field(description="The challenged reviewer's e-mail.")
    reviewer_name: str
    reason: str
    filed_by: str
    filed_at: datetime
    status: str = Field(description="`open` (their scores do not count), `upheld`, `dismissed`.")
    decision_reason: str | None
    decided_by: str | None
    decided_at: datetime | None


class BonusGrantView(BaseModel):
    item_code: str
    reason: str
    granted_by: str
    granted_at: datetime


class ApplicationBonusView(BaseModel):
    """An application's granted bonus items (the cohort's items and cap are the catalog's)."""

    granted: list[BonusGrantView]
    total: float = Field(description="What they add to its final score (capped).")


class PanelCheckView(BaseModel):
    """A stage's panel against its external-share rule, as closing the stage checks it."""

    stage_code: str
    reviewers: int = Field(description="Reviewers with an assignment that counts in the stage.")
    external: int = Field(description="Of them, external (외부 평가위원).")
    share: float = Field(description="external / reviewers (0 without reviewers).")
    min_external_share: float | None = Field(description="The stage's rule; null: none.")
    satisfied: bool = Field(description="False: closing the stage is refused (409).")


class CohortAppealOut(AppealOut):
    """One appeal in the cohort's list, with the startup's name."""

    startup_name: str


def build_rule_reads_router(settings: Settings) -> APIRouter:
    current_staff = staff_of(settings)
    require_manager_role = require_role(current_staff, Role.PROGRAM_MANAGER)
    router = APIRouter(
        tags=["review"], dependencies=[Depends(current_staff)], responses=STAFF_ROUTE_ERRORS
    )

    @router.get("/cohorts/{cohort_code}/challenges", responses=READ_ONE_ERRORS)
    async def list_challenges(
        cohort_code: CodePath,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        status: Literal["open", "upheld", "dismissed"] | None = Query(default=None),
        application_id: uuid.UUID | None = Query(default=None),
    ) -> list[ChallengeView]:
        """The cohort's challenges of reviewers, oldest first, optionally of one status or
        one application."""
        found = await rule_reads.cohort_challenges(
            runtime.pool, cohort_code, staff=staff, status=status, application_id=application_id
        )
        return [ChallengeView(**row) for row in found]

    @router.get("/applications/{application_id}/bonus-points", responses=READ_ONE_ERRORS)
    async def application_bonus(
        application_id: uuid.UUID,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
    ) -> ApplicationBonusView:
        """The bonus items granted to the application, with who, when and why, and their
        capped total."""
        bonus = await rule_reads.application_bonus(runtime.pool, application_id, staff=staff)
        return ApplicationBonusView(
            granted=[BonusGrantView(**vars(g)) for g in bonus.grants], total=bonus.total
        )

    @router.get("/cohorts/{cohort_code}/stages/{stage_code}/panel", responses=READ_ONE_ERRORS)
    async def panel_check(
        cohort_code: CodePath,
        stage_code: CodePath,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
    ) -> PanelCheckView:
        """The stage's external-share check with its figures, as closing it would make it."""
        check = await rule_reads.stage_panel_check(
            runtime.pool, cohort_code, stage_code, staff=staff
        )
        return PanelCheckView(
            stage_code=stage_code,
            reviewers=check.reviewers,
            external=check.external,
            share=round(check.share, 4),
            min_external_share=check.min_external_share,
            satisfied=check.satisfied,
        )

    @router.get("/cohorts/{cohort_code}/appeals", responses=READ_ONE_ERRORS)
    async def list_appeals(
        cohort_code: CodePath,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        status: Literal["open", "upheld", "dismissed"] | None = Query(default=None),
    ) -> list[CohortAppealOut]:
        """The cohort's appeals (이의제기), oldest first, optionally of one status, each with
        the disclosure the applicant asked for (as `GET /applications/{id}/appeals`)."""
        found = await rule_reads.cohort_appeals(
            runtime.pool, cohort_code, staff=staff, status=status
        )
        return [CohortAppealOut(**vars(view), startup_name=name) for view, name in found]

    return router
