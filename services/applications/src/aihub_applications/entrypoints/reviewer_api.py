"""HTTP API of a reviewer's own desk: `GET /reviews/mine` (their assignments), one application
as its reviewer sees it in a stage, and the weighted score their scores would give before they
save them (the stage's one rule, `domain.review.review_score`). Scoring and conflicts themselves
are `review_api.py`."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from aihub_applications.entrypoints.dependencies import CodePath, staff_of
from aihub_applications.entrypoints.review_api import ScoresAnswer, ScoresRequest
from aihub_applications.service_layer import review, reviewer_desk
from aihub_applications.settings import Settings
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.http_auth import require_role
from aihub_shared.runtime.http_errors import (
    CHANGE_ERRORS,
    READ_ONE_ERRORS,
    STAFF_ROUTE_ERRORS,
)
from aihub_shared.runtime.service import ServiceRuntime, runtime_of


class Named(BaseModel):
    """A name in both languages, as the catalog gives it: `{"ko": "서류평가", "en": ...}`."""

    ko: str
    en: str


class MyReviewView(BaseModel):
    """One of the caller's assignments."""

    application_id: uuid.UUID
    startup_name: str
    program_code: str
    cohort_code: str
    program_name: Named
    stage_code: str
    stage_name: Named
    assigned_at: datetime
    due_at: datetime | None = Field(description="When the manager wants it scored, if set.")
    scored_at: datetime | None = Field(description="When the caller last saved scores.")
    review_score: float | None = Field(description="The caller's weighted score, once scored.")
    conflict_reason: str | None = Field(description="Set once the caller declared a conflict.")
    stage_open: bool = Field(
        description="Scores can still be given or corrected (the application is in this stage)."
    )
    pending: bool = Field(description="Open, not scored, no conflict: waiting for the caller.")
    anonymous_label: str | None = Field(
        default=None,
        description="Set when the caller reviews it blind: `startup_name` is this label then,"
        " and the sheet leaves out what identifies the startup.",
    )


class CriterionView(BaseModel):
    code: str
    name: Named
    weight: int = Field(description="Relative weight inside the stage.")


class AnswerView(BaseModel):
    key: str
    question: Named = Field(description="The cohort's question (its key when unknown).")
    answer: str


class StartupView(BaseModel):
    """The startup as submitted (no contact person's details)."""

    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    founded_on: date | None = None
    employees: int | None = None
    website: str | None = None
    ai_field: str | None = None
    description: str | None = None


class ReviewSheetView(BaseModel):
    """One application in one stage as its reviewer sees it."""

    review: MyReviewView
    criteria: list[CriterionView] = Field(description="The stage's rubric, each 0–100.")
    scores: dict[str, int] | None = Field(description="The caller's saved scores, by criterion.")
    comment: str | None
    startup: StartupView = Field(description="Empty once the caller declared a conflict.")
    answers: list[AnswerView] = Field(description="Empty once the caller declared a conflict.")
    pledge_required: bool = Field(
        description="The stage refuses the caller's scores until they accept the reviewer"
        " pledge (`/cohorts/{cohort}/stages/{stage}/pledge`)."
    )
    pledge_accepted_at: datetime | None = Field(
        description="When the caller accepted the stage's pledge; null: not yet."
    )


def build_reviewer_router(settings: Settings) -> APIRouter:
    current_staff = staff_of(settings)
    reviewing = require_role(current_staff, Role.PROGRAM_MANAGER, Role.REVIEWER)
    router = APIRouter(
        tags=["review"], dependencies=[Depends(current_staff)], responses=STAFF_ROUTE_ERRORS
    )

    @router.get("/reviews/mine")
    async def my_reviews(
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(reviewing),
        application_id: uuid.UUID | None = Query(default=None, description="Only this one's."),
    ) -> list[MyReviewView]:
        """The caller's own review assignments, pending and done (scored, recused, or the stage
        closed), the soonest due first."""
        found = await reviewer_desk.my_reviews(
            runtime.pool, staff=staff, application_id=application_id
        )
        return [_my_review(r) for r in found]

    @router.get(
        "/applications/{application_id}/stages/{stage_code}/review", responses=READ_ONE_ERRORS
    )
    async def review_sheet(
        application_id: uuid.UUID,
        stage_code: CodePath,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(reviewing),
    ) -> ReviewSheetView:
        """The application's answers, the stage's rubric with its weights and the caller's saved
        scores: only for the application's reviewer in that stage (403 for anyone else)."""
        sheet = await reviewer_desk.review_sheet(
            runtime.pool, application_id, stage_code, staff=staff
        )
        return ReviewSheetView(
            review=_my_review(sheet.review),
            criteria=[
                CriterionView(code=c.code, name=Named(ko=c.name_ko, en=c.name_en), weight=c.weight)
                for c in sheet.criteria
            ],
            scores=sheet.scores,
            comment=sheet.comment,
            startup=StartupView.model_validate(sheet.startup),
            answers=[
                AnswerView(key=a.key, question=Named(ko=a.label.ko, en=a.label.en), answer=a.text)
                for a in sheet.answers
            ],
            pledge_required=sheet.pledge_required,
            pledge_accepted_at=sheet.pledge_accepted_at,
        )

    @router.post(
        "/applications/{application_id}/stages/{stage_code}/scores/preview",
        responses=CHANGE_ERRORS,
    )
    async def preview_scores(
        application_id: uuid.UUID,
        stage_code: CodePath,
        body: ScoresRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(reviewing),
    ) -> ScoresAnswer:
        """The weighted score these scores would give, refused as saving them would be (a
        pledge the stage requires included); nothing is recorded."""
        score = await review.preview_score(
            runtime.pool, application_id, stage_code, body.scores, staff=staff
        )
        return ScoresAnswer(review_score=score)

    return router


def _my_review(found: reviewer_desk.MyReview) -> MyReviewView:
    values: dict[str, Any] = {
        **found.__dict__,
        "program_name": Named(ko=found.program_name.ko, en=found.program_name.en),
        "stage_name": Named(ko=found.stage_name.ko, en=found.stage_name.en),
        "pending": found.pending,
    }
    return MyReviewView.model_validate(values)
