"""HTTP API of staged review: assign reviewers, score, declare conflicts, advance, select, export
the ranking. Managers (admin, the program's managers) run a cohort's review; reviewers work only
on the applications they are assigned."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, EmailStr, Field

from aihub_applications.entrypoints.api import Reason, correlation_header, staff_of
from aihub_applications.entrypoints.http_errors import answered_as_http
from aihub_applications.service_layer import review, selection
from aihub_applications.settings import Settings
from aihub_shared.contracts.values import FreeText, SingleLineText
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.http_auth import require_role
from aihub_shared.runtime.service import ServiceRuntime, runtime_of

CodePath = Annotated[
    str, Path(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
]


class ReviewerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[EmailStr, AfterValidator(str.lower)] = Field(
        max_length=254,
        description="The reviewer's e-mail (their token subject, in any case).",
    )
    name: SingleLineText


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


class AssignmentResponse(BaseModel):
    assigned: list[dict[str, str]]
    short_of_reviewers: list[str] = Field(
        description="Applications the pool could not bring up to the number of reviewers."
    )


class ScoresRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: dict[Annotated[str, Field(max_length=64)], Annotated[int, Field(ge=0, le=100)]] = Field(
        min_length=1, max_length=20, description="Criterion code → score 0–100."
    )
    comment: FreeText = ""


class ConflictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class StageCloseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class SelectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason
    reserve: int | None = Field(
        default=None,
        ge=0,
        le=1000,
        description="Ranked reserve (예비 순위) beyond the seats; default every ranked one left.",
    )


class OutcomeOut(BaseModel):
    application_id: str
    passed: bool
    score: float
    reason: str
    rank: int | None


def build_review_router(settings: Settings) -> APIRouter:
    current_staff = staff_of(settings)
    require_manager_role = require_role(current_staff, Role.PROGRAM_MANAGER)
    require_reviewing_role = require_role(current_staff, Role.PROGRAM_MANAGER, Role.REVIEWER)
    router = APIRouter(tags=["review"], dependencies=[Depends(current_staff)])

    @router.post("/cohorts/{cohort_code}/stages/{stage_code}/assignments")
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
        with answered_as_http():
            pairs, short = await review.assign(
                runtime.pool,
                cohort_code,
                stage_code,
                [(str(r.id), r.name) for r in body.reviewers],
                per_application=body.per_application,
                staff=staff,
                due_at=body.due_at,
                correlation_id=correlation_id,
            )
        return AssignmentResponse(
            assigned=[
                {"application_id": p.application_id, "reviewer_id": p.reviewer_id} for p in pairs
            ],
            short_of_reviewers=short,
        )

    @router.put("/applications/{application_id}/stages/{stage_code}/scores")
    async def submit_scores(
        application_id: uuid.UUID,
        stage_code: CodePath,
        body: ScoresRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_reviewing_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> dict[str, float]:
        """The calling reviewer's scores, one per criterion; sending again replaces them until
        the stage closes. Answers the weighted review score. The first scores publish
        `review.submitted` (without the scores); a correction publishes nothing."""
        with answered_as_http():
            score = await review.submit_scores(
                runtime.pool,
                application_id,
                stage_code,
                body.scores,
                body.comment,
                staff=staff,
                correlation_id=correlation_id,
            )
        return {"review_score": score}

    @router.post("/applications/{application_id}/stages/{stage_code}/conflict")
    async def declare_conflict(
        application_id: uuid.UUID,
        stage_code: CodePath,
        body: ConflictRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_reviewing_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> dict[str, str | None]:
        """The calling reviewer declares a conflict of interest and is replaced from the pool."""
        with answered_as_http():
            replacement = await review.declare_conflict(
                runtime.pool,
                application_id,
                stage_code,
                body.reason,
                staff=staff,
                correlation_id=correlation_id,
            )
        return {"replacement": replacement}

    @router.post("/cohorts/{cohort_code}/stages/{stage_code}/advance")
    async def advance_stage(
        cohort_code: CodePath,
        stage_code: CodePath,
        body: StageCloseRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> list[OutcomeOut]:
        """Close a stage: those passing its threshold and/or top-K enter the next stage, the
        others are rejected with the reason. 409 while an application lacks scored reviews."""
        with answered_as_http():
            outcomes = await selection.advance_stage(
                runtime.pool,
                cohort_code,
                stage_code,
                body.reason,
                staff=staff,
                correlation_id=correlation_id,
            )
        return [OutcomeOut(**vars(o)) for o in outcomes]

    @router.post("/applications/{application_id}/advance")
    async def advance_application(
        application_id: uuid.UUID,
        body: StageCloseRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> dict[str, str]:
        """Move one application to the next stage by hand, with a reason (threshold and top-K
        do not apply; it still needs its stage score). 409 in the last stage or out of review."""
        with answered_as_http():
            stage = await selection.advance_one(
                runtime.pool,
                application_id,
                body.reason,
                staff=staff,
                correlation_id=correlation_id,
            )
        return {"application_id": str(application_id), "stage_code": stage}

    @router.post("/cohorts/{cohort_code}/selection")
    async def select_cohort(
        cohort_code: CodePath,
        body: SelectionRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> list[OutcomeOut]:
        """Close the last stage: accept by final ranking up to the seats plus the ranked
        reserve, reject the rest; every decision carries its rank or its reason."""
        with answered_as_http():
            outcomes = await selection.select(
                runtime.pool,
                cohort_code,
                body.reason,
                reserve=body.reserve,
                staff=staff,
                correlation_id=correlation_id,
            )
        return [OutcomeOut(**vars(o)) for o in outcomes]

    @router.get("/cohorts/{cohort_code}/ranking")
    async def ranking(
        cohort_code: CodePath,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
    ) -> list[dict[str, Any]]:
        """The cohort's ranking: decided ranks first, then the others in the order selection
        will give them (final score, then the documented tie-break)."""
        with answered_as_http():
            _, rows = await selection.cohort_ranking(runtime.pool, cohort_code, staff=staff)
        return rows

    @router.get(
        "/cohorts/{cohort_code}/ranking.csv",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}},
    )
    async def ranking_csv(
        cohort_code: CodePath,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
    ) -> Response:
        """The ranking as CSV (UTF-8 with BOM, so spreadsheet programs read Korean right)."""
        with answered_as_http():
            cohort, rows = await selection.cohort_ranking(runtime.pool, cohort_code, staff=staff)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        stage_codes = [s.code for s in cohort.stages]
        writer.writerow(
            ["rank", "application_id", "startup_name", "business_registration_number", "status"]
            + [f"score_{c}" for c in stage_codes]
            + ["final_score"]
        )
        for row in rows:
            writer.writerow(
                [
                    row["rank"] or "",
                    str(row["id"]),
                    _csv_safe(row["startup_name"]),
                    row["business_registration_number"],
                    row["status"],
                    *[_number(row["stage_scores"].get(c)) for c in stage_codes],
                    _number(row["final_score"]),
                ]
            )
        return Response(
            "\ufeff" + out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{cohort_code}-ranking.csv"'},
        )

    return router


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _csv_safe(text: str) -> str:
    # A name from a publishing system must not become a formula in a spreadsheet (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
