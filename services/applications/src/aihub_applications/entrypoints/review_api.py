"""HTTP API of staged review: assign reviewers, score, declare conflicts (advancing, selection
and the ranking are `selection_api.py`). Managers (admin, the program's managers) assign;
reviewers work only on the applications they are assigned."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, EmailStr, Field

from aihub_applications.entrypoints.dependencies import CodePath, staff_of
from aihub_applications.service_layer import assignments, review
from aihub_applications.settings import Settings
from aihub_shared.contracts.values import FreeText, SingleLineText, StatedReason
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.http_auth import StaffDependency, require_role
from aihub_shared.runtime.http_errors import CHANGE_ERRORS, STAFF_ROUTE_ERRORS
from aihub_shared.runtime.http_params import correlation_header
from aihub_shared.runtime.service import ServiceRuntime, runtime_of


class ReviewerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[EmailStr, AfterValidator(str.lower)] = Field(
        max_length=254,
        description="The reviewer's e-mail (their token subject, in any case).",
    )
    name: SingleLineText
    external: bool = Field(
        default=False, description="From outside the hub (외부 평가위원), for the panel rule."
    )


class AssignmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reviewers: list[ReviewerIn] = Field(
        default_factory=list,
        max_length=200,
        description="Added to the stage's reviewer pool (names already there may be omitted).",
    )
    per_application: int | None = Field(
        default=None, ge=1, le=20, description="Reviewers per application; default min_reviewers."
    )
    due_at: AwareDatetime | None = Field(
        default=None, description="When the new assignments should be scored (in the event)."
    )


class Assignment(BaseModel):
    application_id: str
    reviewer_id: str


class AssignmentResponse(BaseModel):
    assigned: list[Assignment]
    short_of_reviewers: list[str] = Field(
        description="Applications the pool could not bring up to the number of reviewers."
    )


class ScoresRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: dict[Annotated[str, Field(max_length=64)], Annotated[int, Field(ge=0, le=100)]] = Field(
        min_length=1, max_length=20, description="Criterion code → score 0–100."
    )
    comment: FreeText = ""


class ScoresAnswer(BaseModel):
    review_score: float = Field(description="The calling reviewer's weighted score, 0–100.")


class ConflictAnswer(BaseModel):
    replacement: str | None = Field(
        description="The reviewer who takes over from the pool, or null if the pool had none."
    )


class ConflictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StatedReason


def build_review_router(settings: Settings) -> APIRouter:
    current_staff = staff_of(settings)
    router = APIRouter(
        tags=["review"], dependencies=[Depends(current_staff)], responses=STAFF_ROUTE_ERRORS
    )
    _add_assignment_route(router, require_role(current_staff, Role.PROGRAM_MANAGER))
    _add_reviewer_routes(router, require_role(current_staff, Role.PROGRAM_MANAGER, Role.REVIEWER))
    return router


def _add_assignment_route(router: APIRouter, require_manager_role: StaffDependency) -> None:
    @router.post("/cohorts/{cohort_code}/stages/{stage_code}/assignments", responses=CHANGE_ERRORS)
    async def assign_reviewers(
        cohort_code: CodePath,
        stage_code: CodePath,
        body: AssignmentRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> AssignmentResponse:
        """Add reviewers to the stage's pool and give every application in the stage at least
        `per_application` reviewers, balancing the load; publishes `review.assigned` each."""
        pairs, short = await assignments.assign(
            runtime.pool,
            cohort_code,
            stage_code,
            [(str(r.id), r.name) for r in body.reviewers],
            per_application=body.per_application,
            staff=staff,
            due_at=body.due_at,
            external=[str(r.id) for r in body.reviewers if r.external],
            correlation_id=correlation_id,
        )
        return AssignmentResponse(
            assigned=[
                Assignment(application_id=p.application_id, reviewer_id=p.reviewer_id)
                for p in pairs
            ],
            short_of_reviewers=short,
        )


def _add_reviewer_routes(router: APIRouter, require_reviewing_role: StaffDependency) -> None:
    @router.put(
        "/applications/{application_id}/stages/{stage_code}/scores", responses=CHANGE_ERRORS
    )
    async def submit_scores(
        application_id: uuid.UUID,
        stage_code: CodePath,
        body: ScoresRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_reviewing_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> ScoresAnswer:
        """The calling reviewer's scores, one per criterion; sending again replaces them until
        the stage closes. Answers the weighted review score. The first scores publish
        `review.submitted` (without the scores); a correction publishes nothing."""
        score = await review.submit_scores(
            runtime.pool,
            application_id,
            stage_code,
            body.scores,
            body.comment,
            staff=staff,
            correlation_id=correlation_id,
        )
        return ScoresAnswer(review_score=score)

    @router.post(
        "/applications/{application_id}/stages/{stage_code}/conflict", responses=CHANGE_ERRORS
    )
    async def declare_conflict(
        application_id: uuid.UUID,
        stage_code: CodePath,
        body: ConflictRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_reviewing_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> ConflictAnswer:
        """The calling reviewer declares a conflict of interest and is replaced from the pool."""
        replacement = await review.declare_conflict(
            runtime.pool,
            application_id,
            stage_code,
            body.reason,
            staff=staff,
            correlation_id=correlation_id,
        )
        return ConflictAnswer(replacement=replacement)
