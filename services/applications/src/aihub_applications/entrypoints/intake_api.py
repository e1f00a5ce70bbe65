"""The HTTP door for publishing systems: the same contract, rules and receipt as Kafka intake.

A publishing system calls it with an `ops` staff token (admins may too). Its identity is the
token's subject: submissions are idempotent per (`/http/<subject>`, `submission_id`), exactly
as Kafka submissions are per (envelope `source`, `submission_id`). The receipt is the answer and
is also published on `intake.receipts`, so one reconciliation path serves both doors. Deadlines
are judged by the time the request arrived.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from aihub_applications.entrypoints.dependencies import staff_of
from aihub_applications.service_layer.intake import submit_over_http
from aihub_applications.settings import Settings
from aihub_shared.contracts.intake import ApplicationSubmitted, IntakeReceipt
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.http_auth import require_role
from aihub_shared.runtime.http_errors import STAFF_ROUTE_ERRORS, error_responses
from aihub_shared.runtime.http_params import correlation_header
from aihub_shared.runtime.service import ServiceRuntime, runtime_of


def build_intake_router(settings: Settings) -> APIRouter:
    current_staff = staff_of(settings)
    require_publisher = require_role(current_staff, Role.OPS)
    router = APIRouter(tags=["intake"], responses=STAFF_ROUTE_ERRORS)

    @router.post("/intake/applications", responses=error_responses(400, 413))
    async def submit_application(
        submission: ApplicationSubmitted,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_publisher),
        correlation_id: str | None = Depends(correlation_header),
    ) -> IntakeReceipt:
        """Submit one application (`application.submitted` data). The answer is the receipt:
        `accepted` with the application id, or `refused` with reasons in the applicant's
        language; sending the same submission again answers the same receipt. A contract
        violation is a 422 with the field that broke it."""
        return await submit_over_http(
            runtime.pool, submission, staff=staff, correlation_id=correlation_id
        )

    return router
