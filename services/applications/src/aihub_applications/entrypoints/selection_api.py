"""HTTP API of the end of staged review: close a stage (advance), move one application on by
hand, select the cohort, read and export the ranking. Managers only (admin, the program's
managers)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from aihub_applications.domain import review as rules
from aihub_applications.domain.application import Application
from aihub_applications.domain.review import CohortReview
from aihub_applications.entrypoints.dependencies import CodePath, staff_of
from aihub_applications.entrypoints.views import RankingLine
from aihub_applications.service_layer import advancing, selection
from aihub_applications.service_layer.ranking import RankingEntry, cohort_ranking
from aihub_applications.settings import Settings
from aihub_shared.contracts.values import StatedReason
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.http_auth import StaffDependency, require_role
from aihub_shared.runtime.http_errors import CHANGE_ERRORS, READ_ONE_ERRORS, STAFF_ROUTE_ERRORS
from aihub_shared.runtime.http_params import MAX_OFFSET, correlation_header
from aihub_shared.runtime.service import ServiceRuntime, runtime_of

RESERVE_HELP = "Ranked reserve (예비 순위) beyond the seats; default every ranked one left."


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
        description=RESERVE_HELP,
    )


class OutcomeOut(BaseModel):
    application_id: str
    passed: bool
    score: float
    reason: str
    rank: int | None


class PreviewLine(OutcomeOut):
    """What closing the stage would decide for one application, if done now."""

    startup_name: str


class PreviewPage:
    """A page of a preview (all of it without `limit`), and how many lines and passes the
    whole has: a 10,000-application preview need not travel whole to show 50 lines."""

    def __init__(
        self,
        limit: int | None = Query(default=None, ge=1, le=500, description="Default: all."),
        offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
    ) -> None:
        self.limit = limit
        self.offset = offset

    def of(
        self, decided: Sequence[tuple[rules.Outcome, Application]], response: Response
    ) -> list[PreviewLine]:
        response.headers["X-Total-Count"] = str(len(decided))
        response.headers["X-Passing-Count"] = str(sum(1 for o, _ in decided if o.passed))
        end = None if self.limit is None else self.offset + self.limit
        return [
            PreviewLine(**vars(o), startup_name=a.startup_name)
            for o, a in decided[self.offset : end]
        ]


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
    _add_preview_routes(router, require_manager_role)
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
        outcomes = await advancing.advance_stage(
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
        stage = await advancing.advance_one(
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


def _add_preview_routes(router: APIRouter, require_manager_role: StaffDependency) -> None:
    @router.get(
        "/cohorts/{cohort_code}/stages/{stage_code}/advance/preview", responses=CHANGE_ERRORS
    )
    async def preview_advance(
        cohort_code: CodePath,
        stage_code: CodePath,
        response: Response,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        page: PreviewPage = Depends(),
    ) -> list[PreviewLine]:
        """What `POST .../advance` would decide now (the same rule), best first; changes
        nothing. The same 409 as the advance when it would be refused. `limit`/`offset` give
        a page of it; `X-Total-Count` and `X-Passing-Count` count the whole."""
        decided = await advancing.preview_advance(
            runtime.pool, cohort_code, stage_code, staff=staff
        )
        return page.of(decided, response)

    @router.get("/cohorts/{cohort_code}/selection/preview", responses=CHANGE_ERRORS)
    async def preview_selection(
        cohort_code: CodePath,
        response: Response,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        reserve: int | None = Query(default=None, ge=0, le=1000, description=RESERVE_HELP),
        page: PreviewPage = Depends(),
    ) -> list[PreviewLine]:
        """What `POST .../selection` with this `reserve` would decide now (the same rule),
        best first; changes nothing. The same 409 as the selection when it would be refused.
        Paged and counted as the advance preview is."""
        decided = await selection.preview_selection(
            runtime.pool, cohort_code, reserve=reserve, staff=staff
        )
        return page.of(decided, response)


def _add_ranking_routes(router: APIRouter, require_manager_role: StaffDependency) -> None:
    @router.get(
        "/cohorts/{cohort_code}/ranking",
        response_model=list[RankingLine],
        responses=READ_ONE_ERRORS,
    )
    async def ranking(
        cohort_code: CodePath,
        response: Response,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        limit: int = Query(default=50, ge=1, le=500),
        offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
    ) -> list[dict[str, Any]]:
        """A page of the cohort's ranking: decided ranks first, then the others in the order
        selection will give them (final score, then the documented tie-break, named on each
        line it decided); `X-Total-Count` has the number of lines."""
        _, entries = await cohort_ranking(runtime.pool, cohort_code, staff=staff)
        response.headers["X-Total-Count"] = str(len(entries))
        return [entry.shown() for entry in entries[offset : offset + limit]]

    @router.get(
        "/cohorts/{cohort_code}/ranking.csv",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/csv": {}}}, **READ_ONE_ERRORS},
    )
    async def ranking_csv(
        cohort_code: CodePath,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
    ) -> StreamingResponse:
        """The whole ranking as CSV (UTF-8 with BOM, so spreadsheet programs read Korean
        right), streamed in chunks of lines rather than built whole in memory."""
        cohort, entries = await cohort_ranking(runtime.pool, cohort_code, staff=staff)
        return StreamingResponse(
            _csv_chunks(cohort, entries),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{cohort_code}-ranking.csv"'},
        )


_CSV_LINES_PER_CHUNK = 500


def _csv_chunks(cohort: CohortReview, entries: Sequence[RankingEntry]) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    stage_codes = [s.code for s in cohort.stages]
    out.write("\ufeff")
    writer.writerow(
        ["rank", "application_id", "startup_name", "business_registration_number", "status"]
        + [f"score_{c}" for c in stage_codes]
        + ["final_score", "bonus_points"]
        + [f"{kind}_{c}" for c in stage_codes for kind in _DETAIL_COLUMNS]
        + ["cutoff_failures"]
    )
    for start in range(0, len(entries), _CSV_LINES_PER_CHUNK):
        for entry in entries[start : start + _CSV_LINES_PER_CHUNK]:
            writer.writerow(_csv_line(entry, stage_codes))
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    if out.tell():
        yield out.getvalue()  # the header of an empty ranking


def _csv_line(entry: RankingEntry, stage_codes: list[str]) -> list[str | int]:
    a = entry.application
    return [
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
