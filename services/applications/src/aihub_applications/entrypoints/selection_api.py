"""HTTP API of the end of staged review: close a stage (advance), move one application on by
hand, select the cohort, read and export the ranking. Managers only (admin, the program's
managers)."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from aihub_applications.domain.review import CohortReview
from aihub_applications.entrypoints.dependencies import CodePath, staff_of
from aihub_applications.entrypoints.views import RankingLine
from aihub_applications.service_layer import selection
from aihub_applications.service_layer.ranking import RankingEntry, cohort_ranking
from aihub_applications.settings import Settings
from aihub_shared.contracts.values import StatedReason
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.http_auth import StaffDependency, require_role
from aihub_shared.runtime.http_errors import CHANGE_ERRORS, READ_ONE_ERRORS, STAFF_ROUTE_ERRORS
from aihub_shared.runtime.http_params import correlation_header
from aihub_shared.runtime.service import ServiceRuntime, runtime_of


class StageCloseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StatedReason


class SelectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StatedReason
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


class AdvancedOne(BaseModel):
    application_id: uuid.UUID
    stage_code: str = Field(description="The stage it is in now.")


def build_selection_router(settings: Settings) -> APIRouter:
    current_staff = staff_of(settings)
    require_manager_role = require_role(current_staff, Role.PROGRAM_MANAGER)
    router = APIRouter(
        tags=["review"], dependencies=[Depends(current_staff)], responses=STAFF_ROUTE_ERRORS
    )
    _add_closing_routes(router, require_manager_role)
    _add_ranking_routes(router, require_manager_role)
    return router


def _add_closing_routes(router: APIRouter, require_manager_role: StaffDependency) -> None:
    @router.post("/cohorts/{cohort_code}/stages/{stage_code}/advance", responses=CHANGE_ERRORS)
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
        outcomes = await selection.advance_stage(
            runtime.pool,
            cohort_code,
            stage_code,
            body.reason,
            staff=staff,
            correlation_id=correlation_id,
        )
        return [OutcomeOut(**vars(o)) for o in outcomes]

    @router.post("/applications/{application_id}/advance", responses=CHANGE_ERRORS)
    async def advance_application(
        application_id: uuid.UUID,
        body: StageCloseRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> AdvancedOne:
        """Move one application to the next stage by hand, with a reason (threshold and top-K
        do not apply; it still needs its stage score). 409 in the last stage or out of review."""
        stage = await selection.advance_one(
            runtime.pool,
            application_id,
            body.reason,
            staff=staff,
            correlation_id=correlation_id,
        )
        return AdvancedOne(application_id=application_id, stage_code=stage)

    @router.post("/cohorts/{cohort_code}/selection", responses=CHANGE_ERRORS)
    async def select_cohort(
        cohort_code: CodePath,
        body: SelectionRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> list[OutcomeOut]:
        """Close the last stage: accept by final ranking up to the seats plus the ranked
        reserve, reject the rest; every decision carries its rank or its reason."""
        outcomes = await selection.select(
            runtime.pool,
            cohort_code,
            body.reason,
            reserve=body.reserve,
            staff=staff,
            correlation_id=correlation_id,
        )
        return [OutcomeOut(**vars(o)) for o in outcomes]


def _add_ranking_routes(router: APIRouter, require_manager_role: StaffDependency) -> None:
    @router.get(
        "/cohorts/{cohort_code}/ranking",
        response_model=list[RankingLine],
        responses=READ_ONE_ERRORS,
    )
    async def ranking(
        cohort_code: CodePath,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
    ) -> list[dict[str, Any]]:
        """The cohort's ranking: decided ranks first, then the others in the order selection
        will give them (final score, then the documented tie-break)."""
        _, entries = await cohort_ranking(runtime.pool, cohort_code, staff=staff)
        return [entry.shown() for entry in entries]

    @router.get(
        "/cohorts/{cohort_code}/ranking.csv",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}, **READ_ONE_ERRORS},
    )
    async def ranking_csv(
        cohort_code: CodePath,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
    ) -> Response:
        """The ranking as CSV (UTF-8 with BOM, so spreadsheet programs read Korean right)."""
        cohort, entries = await cohort_ranking(runtime.pool, cohort_code, staff=staff)
        return Response(
            "\ufeff" + _as_csv(cohort, entries),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{cohort_code}-ranking.csv"'},
        )


def _as_csv(cohort: CohortReview, entries: list[RankingEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    stage_codes = [s.code for s in cohort.stages]
    writer.writerow(
        ["rank", "application_id", "startup_name", "business_registration_number", "status"]
        + [f"score_{c}" for c in stage_codes]
        + ["final_score", "bonus_points"]
        + [f"{kind}_{c}" for c in stage_codes for kind in _DETAIL_COLUMNS]
        + ["cutoff_failures"]
    )
    for entry in entries:
        a = entry.application
        writer.writerow(
            [
                a.rank or "",
                str(a.id),
                _csv_safe(a.startup_name),
                a.business_registration_number,
                a.status.value,
                *[_number(entry.stage_scores.get(c)) for c in stage_codes],
                _number(entry.final_score),
                _number(entry.bonus.total),
                *[_detail(entry, c, kind) for c in stage_codes for kind in _DETAIL_COLUMNS],
                "; ".join(entry.cutoff_failures),
            ]
        )
    return out.getvalue()


_DETAIL_COLUMNS = ("raw", "calibrated", "spread", "dropped")


def _detail(entry: RankingEntry, stage_code: str, kind: str) -> str:
    result = entry.stage_results.get(stage_code)
    if result is None:
        return ""
    if kind == "dropped":
        return " ".join(result.dropped)
    value = {
        "raw": result.raw_score,
        "calibrated": result.calibrated_score,
        "spread": result.spread,
    }
    return _number(value[kind])


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _csv_safe(text: str) -> str:
    # A name from a publishing system must not become a formula in a spreadsheet (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
