"""HTTP API for staff: the catalog, the seats of each cohort, the hub's outcomes. OpenAPI at /docs.

Each route parses, calls one service-layer function and shapes its answer. The route's role
dependency refuses roles that may never call it (403); which program a caller manages and what a
reviewer may see are the service layer's rules (`service_layer/access.py`), and its refusals
(`aihub_shared.refusals`) become 404/403/409 in `http_app()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict

from aihub_programs.adapters.catalog import managed_programs
from aihub_programs.domain.catalog import CohortSettings, CohortSpec, ProgramSettings, ProgramSpec
from aihub_programs.domain.enrollments import APPLICATION_ID_PATTERN
from aihub_programs.entrypoints.views import (
    CohortDetail,
    CohortOutcomes,
    Enrollment,
    HubOutcomes,
    ListedEnrollment,
    ProgramDetail,
    ProgramSummary,
)
from aihub_programs.service_layer import catalog, enrollment, erasure, outcomes
from aihub_programs.settings import Settings
from aihub_shared.contracts.values import CODE_PATTERN, StatedReason
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.http_auth import StaffDependency, require_role, staff_principal
from aihub_shared.runtime.http_errors import (
    CHANGE_ERRORS,
    READ_ONE_ERRORS,
    STAFF_ROUTE_ERRORS,
    error_responses,
)
from aihub_shared.runtime.http_params import MAX_OFFSET, correlation_header
from aihub_shared.runtime.ops_routes import ops_router
from aihub_shared.runtime.privacy_routes import add_export_route
from aihub_shared.runtime.service import ServiceRuntime, runtime_of

# Path parameters are checked like bodies: a code or id that cannot exist is a 422 with its
# location, never text Postgres refuses (a NUL byte) or a needless query.
ProgramCode = Annotated[str, Path(min_length=2, max_length=64, pattern=CODE_PATTERN)]
CohortCode = ProgramCode
ApplicationId = Annotated[str, Path(pattern=APPLICATION_ID_PATTERN)]
Runtime = Annotated[ServiceRuntime, Depends(runtime_of)]
CorrelationId = Annotated[str | None, Depends(correlation_header)]
EnrollmentStatus = Literal["confirmed", "waitlisted", "cancelled"]


class CancellationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StatedReason


class Published(BaseModel):
    """The cohorts whose `cohort.published` this change queued."""

    published: list[str]


@dataclass(frozen=True)
class _Callers:
    """The route dependencies naming the caller: anyone on staff, admins only, or admins and
    program managers."""

    anyone: StaffDependency
    admin: StaffDependency
    manager: StaffDependency


def build_router(settings: Settings) -> APIRouter:
    current_staff = staff_principal(settings, managed_programs)
    callers = _Callers(
        anyone=current_staff,
        admin=require_role(current_staff),
        manager=require_role(current_staff, Role.PROGRAM_MANAGER),
    )
    router = APIRouter(dependencies=[Depends(current_staff)], responses=STAFF_ROUTE_ERRORS)
    # Each part adds its routes to this one router: `router.routes` lists every route served.
    _add_program_routes(router, callers)
    _add_cohort_routes(router, callers)
    _add_enrollment_routes(router, callers)
    _add_outcome_routes(router)
    add_export_route(router, current_staff, erasure.export_person)
    router.include_router(ops_router(current_staff))
    return router


def _add_program_routes(router: APIRouter, callers: _Callers) -> None:
    @router.get("/programs", tags=["catalog"], response_model=list[ProgramSummary])
    async def list_programs(runtime: Runtime) -> list[dict[str, Any]]:
        return await catalog.list_programs(runtime.pool)

    @router.get(
        "/programs/{program_code}",
        tags=["catalog"],
        response_model=ProgramDetail,
        response_model_exclude_unset=True,
        responses=READ_ONE_ERRORS,
    )
    async def get_program(program_code: ProgramCode, runtime: Runtime) -> dict[str, Any]:
        return await catalog.get_program(runtime.pool, program_code)

    @router.post(
        "/programs",
        tags=["catalog"],
        status_code=status.HTTP_201_CREATED,
        responses=error_responses(400, 409, 413),
    )
    async def create_program(
        body: ProgramSpec, runtime: Runtime, staff: StaffPrincipal = Depends(callers.admin)
    ) -> Published:
        """Admins only: a program and (optionally) its first cohorts."""
        return Published(published=await catalog.create_program(runtime.pool, body))

    @router.put("/programs/{program_code}", tags=["catalog"], responses=CHANGE_ERRORS)
    async def update_program(
        program_code: ProgramCode,
        body: ProgramSettings,
        runtime: Runtime,
        staff: StaffPrincipal = Depends(callers.admin),
    ) -> Published:
        """Admins only: replace a program's names, descriptions, partner and managers; every
        cohort of the program is re-published."""
        return Published(published=await catalog.update_program(runtime.pool, program_code, body))


def _add_cohort_routes(router: APIRouter, callers: _Callers) -> None:
    @router.post(
        "/programs/{program_code}/cohorts",
        tags=["catalog"],
        status_code=status.HTTP_201_CREATED,
        responses=CHANGE_ERRORS,
    )
    async def create_cohort(
        program_code: ProgramCode,
        body: CohortSpec,
        runtime: Runtime,
        staff: StaffPrincipal = Depends(callers.manager),
    ) -> Published:
        """Admins, or a program manager of that program."""
        codes = await catalog.create_cohort(runtime.pool, program_code, body, staff=staff)
        return Published(published=codes)

    @router.put("/cohorts/{cohort_code}", tags=["catalog"], responses=CHANGE_ERRORS)
    async def update_cohort(
        cohort_code: CohortCode,
        body: CohortSettings,
        runtime: Runtime,
        staff: StaffPrincipal = Depends(callers.manager),
    ) -> Published:
        """Replace a cohort's settings. Added seats promote waiting startups at once; removed
        seats evict nobody (the cohort takes nobody until it is below its seats again)."""
        codes = await catalog.update_cohort(runtime.pool, cohort_code, body, staff=staff)
        return Published(published=codes)

    @router.get(
        "/cohorts/{cohort_code}",
        tags=["catalog", "enrollments"],
        response_model=CohortDetail,
        responses=READ_ONE_ERRORS,
    )
    async def get_cohort(
        cohort_code: CohortCode, runtime: Runtime, staff: StaffPrincipal = Depends(callers.anyone)
    ) -> dict[str, Any]:
        """The cohort and how many hold (`seats_taken`) or wait for its seats; who they are is
        `GET /cohorts/{cohort_code}/enrollments`, a page at a time."""
        return await catalog.get_cohort(runtime.pool, cohort_code, staff=staff)

    @router.get(
        "/cohorts/{cohort_code}/enrollments",
        tags=["enrollments"],
        response_model=list[ListedEnrollment],
        responses=READ_ONE_ERRORS,
    )
    async def list_cohort_enrollments(
        cohort_code: CohortCode,
        response: Response,
        runtime: Runtime,
        staff: StaffPrincipal = Depends(callers.anyone),
        status_: EnrollmentStatus | None = Query(default=None, alias="status"),
        limit: int = Query(default=50, ge=1, le=500),
        offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
    ) -> list[dict[str, Any]]:
        """A page of the cohort's enrollments: seats, then the waitlist in order (with each
        startup's current position, counted over the whole waitlist), then the cancelled ones
        with the reason; `X-Total-Count` has how many match. Not for reviewers (often from
        outside the hub): who holds or waits for a seat, their registration numbers, why they
        left."""
        items, total = await catalog.list_enrollments(
            runtime.pool, cohort_code, staff=staff, status=status_, limit=limit, offset=offset
        )
        response.headers["X-Total-Count"] = str(total)
        return items


def _add_enrollment_routes(router: APIRouter, callers: _Callers) -> None:
    @router.post(
        "/enrollments/{application_id}/cancellation",
        tags=["enrollments"],
        response_model=Enrollment,
        responses=CHANGE_ERRORS,
    )
    async def cancel_enrollment(
        application_id: ApplicationId,
        body: CancellationRequest,
        runtime: Runtime,
        correlation_id: CorrelationId,
        staff: StaffPrincipal = Depends(callers.manager),
    ) -> dict[str, Any]:
        """End an enrollment (seat or waitlist place); a freed seat goes to the best-ranked
        waiting startup. 409 if it already ended."""
        return await enrollment.cancel_enrollment(
            runtime.pool,
            application_id,
            reason=body.reason,
            staff=staff,
            correlation_id=correlation_id,
        )

    @router.post(
        "/enrollments/{application_id}/agreement",
        tags=["enrollments"],
        response_model=Enrollment,
        responses=error_responses(404, 409),
    )
    async def record_signed_agreement(
        application_id: ApplicationId,
        runtime: Runtime,
        correlation_id: CorrelationId,
        staff: StaffPrincipal = Depends(callers.manager),
    ) -> dict[str, Any]:
        """The startup signed its agreement: the seat is no longer at risk of its deadline.
        409 unless the enrollment holds a seat and has not signed yet."""
        return await enrollment.sign_agreement(
            runtime.pool, application_id, staff=staff, correlation_id=correlation_id
        )

    @router.post(
        "/enrollments/{application_id}/agreement/give-up",
        tags=["enrollments"],
        response_model=Enrollment,
        responses=CHANGE_ERRORS,
    )
    async def give_up_agreement(
        application_id: ApplicationId,
        body: CancellationRequest,
        runtime: Runtime,
        correlation_id: CorrelationId,
        staff: StaffPrincipal = Depends(callers.manager),
    ) -> dict[str, Any]:
        """The startup holding a seat gave up its agreement (협약 포기), with its reason: the
        enrollment is cancelled (`enrollment.cancelled`, cause `agreement_given_up`) and the
        best-ranked reserve takes the seat (`enrollment.promoted`). 409 unless it holds a seat."""
        return await enrollment.give_up_agreement(
            runtime.pool,
            application_id,
            reason=body.reason,
            staff=staff,
            correlation_id=correlation_id,
        )


def _add_outcome_routes(router: APIRouter) -> None:
    @router.get("/outcomes", tags=["outcomes"], response_model=HubOutcomes)
    async def hub_outcomes(runtime: Runtime) -> dict[str, Any]:
        """The hub's headline figures, over every cohort."""
        return await outcomes.hub_outcomes(runtime.pool)

    @router.get(
        "/cohorts/{cohort_code}/outcomes",
        tags=["outcomes"],
        response_model=CohortOutcomes,
        responses=READ_ONE_ERRORS,
    )
    async def cohort_outcomes(cohort_code: CohortCode, runtime: Runtime) -> dict[str, Any]:
        return await outcomes.cohort_outcomes(runtime.pool, cohort_code)
