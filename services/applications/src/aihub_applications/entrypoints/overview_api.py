"""HTTP API of how a cohort's review stands, for its managers (admin, the program's managers):
pipeline counts per status and stage, and each reviewer's progress in a stage."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from aihub_applications.entrypoints.dependencies import CodePath, staff_of
from aihub_applications.service_layer import overview
from aihub_applications.settings import Settings
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.http_auth import require_role
from aihub_shared.runtime.http_errors import READ_ONE_ERRORS, STAFF_ROUTE_ERRORS
from aihub_shared.runtime.service import ServiceRuntime, runtime_of


class StageCount(BaseModel):
    stage_code: str
    name_ko: str
    name_en: str
    in_review: int = Field(description="Applications `received` and in this stage.")


class PipelineView(BaseModel):
    cohort_code: str
    total: int = Field(description="Every application of the cohort, ineligible ones included.")
    by_status: dict[str, int] = Field(description="Every status, zero included.")
    stages: list[StageCount] = Field(description="The cohort's stages in order.")


class ReviewerProgressView(BaseModel):
    reviewer_id: str = Field(description="The reviewer's e-mail.")
    reviewer_name: str
    assigned: int = Field(description="Assignments that count (not recused from).")
    scored: int
    conflicts: int = Field(description="Assignments recused from (conflict of interest).")
    overdue: int = Field(description="Assigned, not scored, still in review, past `due_at`.")
    external: bool = Field(
        default=False, description="From outside the hub (외부 평가위원), for the panel rule."
    )


def build_overview_router(settings: Settings) -> APIRouter:
    current_staff = staff_of(settings)
    require_manager_role = require_role(current_staff, Role.PROGRAM_MANAGER)
    router = APIRouter(
        tags=["review"], dependencies=[Depends(current_staff)], responses=STAFF_ROUTE_ERRORS
    )

    @router.get(
        "/cohorts/{cohort_code}/pipeline", response_model=PipelineView, responses=READ_ONE_ERRORS
    )
    async def cohort_pipeline(
        cohort_code: CodePath,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
    ) -> PipelineView:
        """How many of the cohort's applications are in each status, and those in review in
        each stage (no stage, or one the cohort no longer has: the first)."""
        counts, stages = await overview.cohort_pipeline(runtime.pool, cohort_code, staff=staff)
        return PipelineView(
            cohort_code=cohort_code,
            total=counts.total,
            by_status=counts.by_status,
            stages=[
                StageCount(
                    stage_code=code,
                    name_ko=ko,
                    name_en=en,
                    in_review=counts.in_review_by_stage[code],
                )
                for code, ko, en in stages
            ],
        )

    @router.get(
        "/cohorts/{cohort_code}/stages/{stage_code}/reviewers",
        response_model=list[ReviewerProgressView],
        responses=READ_ONE_ERRORS,
    )
    async def stage_reviewers(
        cohort_code: CodePath,
        stage_code: CodePath,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
    ) -> list[ReviewerProgressView]:
        """The stage's reviewer pool (in the order added, then anyone else assigned) with each
        reviewer's progress."""
        progress, external = await overview.stage_reviewers(
            runtime.pool, cohort_code, stage_code, staff=staff
        )
        return [
            ReviewerProgressView(**vars(p), external=p.reviewer_id in external) for p in progress
        ]

    return router
