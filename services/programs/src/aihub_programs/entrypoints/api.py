"""HTTP API for staff: the catalog, the seats of each cohort, the hub's outcomes. OpenAPI at /docs.

Who may do what (a staff token's role, see `aihub_shared.identity`):
- every staff role reads (reviewers need the cohorts' stages and questions, ops the state);
- admins create and change programs, and everything else;
- a program manager creates and changes the cohorts of the programs in their token, and cancels
  enrollments or records signed agreements there;
- reviewers and ops change nothing (403).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field, field_validator

from aihub_programs.adapters import outcomes as outcomes_repository
from aihub_programs.adapters import repository
from aihub_programs.domain.allocation import APPLICATION_ID_PATTERN
from aihub_programs.domain.catalog import CohortSettings, CohortSpec, ProgramSettings, ProgramSpec
from aihub_programs.service_layer import catalog, enrollment
from aihub_programs.settings import Settings
from aihub_shared.contracts.values import Reason
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.refusals import Forbidden
from aihub_shared.runtime.http_auth import require_role, staff_principal
from aihub_shared.runtime.service import ServiceRuntime, runtime_of

# Path parameters are checked like bodies: a code or id that cannot exist is a 422 with its
# location, never text Postgres refuses (a NUL byte) or a needless query.
ProgramCode = Annotated[
    str, Path(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
]
CohortCode = ProgramCode
ApplicationId = Annotated[str, Path(pattern=APPLICATION_ID_PATTERN)]


class CancellationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[Reason, Field(min_length=1)]

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must say why")
        return value


class Published(BaseModel):
    """The cohorts whose `cohort.published` this change queued."""

    published: list[str]


def correlation_header() -> Any:
    return Header(
        default=None,
        alias="X-Correlation-Id",
        max_length=128,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="Carried by every event this change causes, for tracing.",
    )


@contextlib.contextmanager
def _answers() -> Iterator[None]:
    """What the service layer refuses, as HTTP answers with the reason (raised outside the
    transaction, which has rolled back by then)."""
    try:
        yield
    except (catalog.CatalogNotFound, enrollment.EnrollmentNotFound) as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc
    except (catalog.CatalogConflict, enrollment.EnrollmentConflict) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    except enrollment.NotYourProgram as exc:
        raise Forbidden(f"you do not manage program {exc}") from exc


def build_router(settings: Settings) -> APIRouter:
    current_staff = staff_principal(lambda: settings.staff_token_secret)
    admin_only = require_role(current_staff)
    manager = require_role(current_staff, Role.PROGRAM_MANAGER)
    router = APIRouter(dependencies=[Depends(current_staff)])

    # -- catalog -------------------------------------------------------------------------------

    @router.get("/programs", tags=["catalog"])
    async def list_programs(runtime: ServiceRuntime = Depends(runtime_of)) -> list[dict[str, Any]]:
        async with runtime.pool.acquire() as conn:
            return await repository.list_programs(conn)

    @router.get("/programs/{program_code}", tags=["catalog"])
    async def get_program(
        program_code: ProgramCode, runtime: ServiceRuntime = Depends(runtime_of)
    ) -> dict[str, Any]:
        async with runtime.pool.acquire() as conn:
            found = [p for p in await repository.list_programs(conn) if p["code"] == program_code]
            if not found:
                raise HTTPException(
                    status.HTTP_404_NOT_FOUND, detail=f"no program {program_code!r}"
                )
            cohorts = [await repository.cohort_view(conn, c) for c in found[0]["cohorts"]]
        return {**found[0], "cohorts": cohorts}

    @router.post("/programs", tags=["catalog"], status_code=status.HTTP_201_CREATED)
    async def create_program(
        body: ProgramSpec,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(admin_only),
    ) -> Published:
        """Admins only: a program and (optionally) its first cohorts."""
        published: list[str] = []
        with _answers():
            async with runtime.pool.acquire() as conn, conn.transaction():
                await catalog.create_program(conn, body.code, body)
                for cohort in body.cohorts:
                    published += await catalog.create_cohort(conn, body.code, cohort.code, cohort)
        return Published(published=published)

    @router.put("/programs/{program_code}", tags=["catalog"])
    async def update_program(
        program_code: ProgramCode,
        body: ProgramSettings,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(admin_only),
    ) -> Published:
        """Admins only: replace a program's names, descriptions, partner and managers; every
        cohort of the program is re-published."""
        with _answers():
            async with runtime.pool.acquire() as conn, conn.transaction():
                return Published(published=await catalog.update_program(conn, program_code, body))

    @router.post(
        "/programs/{program_code}/cohorts", tags=["catalog"], status_code=status.HTTP_201_CREATED
    )
    async def create_cohort(
        program_code: ProgramCode,
        body: CohortSpec,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(manager),
    ) -> Published:
        if not staff.manages(program_code):
            raise Forbidden(f"you do not manage program {program_code!r}")
        with _answers():
            async with runtime.pool.acquire() as conn, conn.transaction():
                codes = await catalog.create_cohort(conn, program_code, body.code, body)
        return Published(published=codes)

    @router.put("/cohorts/{cohort_code}", tags=["catalog"])
    async def update_cohort(
        cohort_code: CohortCode,
        body: CohortSettings,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(manager),
    ) -> Published:
        """Replace a cohort's settings. Added seats promote waiting startups at once; removed
        seats evict nobody (the cohort takes nobody until it is below its seats again)."""
        async with runtime.pool.acquire() as conn, conn.transaction():
            program_code = await repository.program_of_cohort(conn, cohort_code)
            if program_code is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no cohort {cohort_code!r}")
            if not staff.manages(program_code):
                raise Forbidden(f"you do not manage program {program_code!r}")
            return Published(published=await catalog.update_cohort(conn, cohort_code, body))

    @router.get("/cohorts/{cohort_code}", tags=["catalog", "enrollments"])
    async def get_cohort(
        cohort_code: CohortCode,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(current_staff),
    ) -> dict[str, Any]:
        """The cohort, its seats and every enrollment: seats, then the waitlist in order (with
        each startup's current position), then the cancelled ones with the reason. Reviewers
        (often from outside the hub) get the cohort and its counts, not who holds or waits for
        a seat, their registration numbers or why they left."""
        # One snapshot: the counts, the seats and the list agree with each other.
        async with (
            runtime.pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            view = await repository.cohort_view(conn, cohort_code)
            if view is None:
                raise HTTPException(404, detail=f"no cohort {cohort_code!r}")
            enrollments = await repository.cohort_enrollments(conn, cohort_code)
        confirmed = sum(1 for e in enrollments if e["status"] == "confirmed")
        waitlisted = sum(1 for e in enrollments if e["status"] == "waitlisted")
        cohort = {**view, "seats_taken": confirmed, "waitlisted": waitlisted}
        if staff.role == Role.REVIEWER:
            return cohort
        return {**cohort, "enrollments": enrollments}

    # -- enrollments ---------------------------------------------------------------------------

    @router.post("/enrollments/{application_id}/cancellation", tags=["enrollments"])
    async def cancel_enrollment(
        application_id: ApplicationId,
        body: CancellationRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(manager),
        correlation_id: str | None = correlation_header(),
    ) -> dict[str, Any]:
        """End an enrollment (seat or waitlist place); a freed seat goes to the best-ranked
        waiting startup. 409 if it already ended."""
        with _answers():
            return await enrollment.cancel_enrollment(
                runtime.pool,
                application_id,
                reason=f"cancelled by {staff.id}: {body.reason}",
                may_manage=staff.manages,
                correlation_id=correlation_id,
            )

    @router.post("/enrollments/{application_id}/agreement", tags=["enrollments"])
    async def record_signed_agreement(
        application_id: ApplicationId,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(manager),
        correlation_id: str | None = correlation_header(),
    ) -> dict[str, Any]:
        """The startup signed its agreement: the seat is no longer at risk of its deadline.
        409 unless the enrollment holds a seat and has not signed yet."""
        with _answers():
            return await enrollment.sign_agreement(
                runtime.pool,
                application_id,
                may_manage=staff.manages,
                correlation_id=correlation_id,
            )

    # -- outcomes ------------------------------------------------------------------------------

    @router.get("/outcomes", tags=["outcomes"])
    async def hub_outcomes(runtime: ServiceRuntime = Depends(runtime_of)) -> dict[str, Any]:
        """The hub's headline figures, over every cohort."""
        async with runtime.pool.acquire() as conn:
            return await outcomes_repository.totals(conn, None)

    @router.get("/cohorts/{cohort_code}/outcomes", tags=["outcomes"])
    async def cohort_outcomes(
        cohort_code: CohortCode, runtime: ServiceRuntime = Depends(runtime_of)
    ) -> dict[str, Any]:
        async with runtime.pool.acquire() as conn:
            if await repository.program_of_cohort(conn, cohort_code) is None:
                raise HTTPException(404, detail=f"no cohort {cohort_code!r}")
            return await outcomes_repository.totals(conn, cohort_code)

    return router
