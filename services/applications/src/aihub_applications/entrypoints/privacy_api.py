"""HTTP API of personal-data requests: an admin asks for a person's erasure and follows it, or
exports what this service holds about them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import ConfigDict

from aihub_applications.entrypoints.dependencies import staff_of
from aihub_applications.service_layer import erasure, personal_data
from aihub_applications.service_layer.erasure import ErasureStatus
from aihub_applications.settings import Settings
from aihub_shared.contracts.privacy import PersonErasureRequested
from aihub_shared.contracts.values import EXTERNAL_ID_PATTERN
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.http_auth import require_role
from aihub_shared.runtime.http_errors import READ_ONE_ERRORS, STAFF_ROUTE_ERRORS, error_responses
from aihub_shared.runtime.privacy_routes import add_export_route
from aihub_shared.runtime.service import ServiceRuntime, runtime_of

RequestIdPath = Annotated[str, Path(min_length=1, max_length=128, pattern=EXTERNAL_ID_PATTERN)]


class ErasureRequestBody(PersonErasureRequested):
    """`person.erasure_requested`'s data; a misspelt field is refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


def build_privacy_router(settings: Settings) -> APIRouter:
    current_staff = staff_of(settings)
    require_admin = require_role(current_staff, Role.ADMIN)
    router = APIRouter(tags=["privacy"], responses=STAFF_ROUTE_ERRORS)
    add_export_route(router, current_staff, personal_data.export_person)

    @router.post("/privacy/erasures", responses=error_responses(400, 413))
    async def request_erasure(
        body: ErasureRequestBody,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_admin),
    ) -> ErasureStatus:
        """Admins only: erase a person (by e-mail and/or application ids) in every service.
        This service erases its copy at once; the others follow through Kafka, and
        `completed_at` is set when all three have confirmed. The same `request_id` again
        changes nothing and answers where the request stands."""
        return await erasure.request_over_http(runtime.pool, body, staff=staff)

    @router.get("/privacy/erasures/{request_id}", responses=READ_ONE_ERRORS)
    async def erasure_status(
        request_id: RequestIdPath,
        requested_by: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=256,
                pattern=r"^[\x21-\x7e]+$",
                description="Who asked (a publishing system's `source`); default: the caller.",
            ),
        ] = None,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_admin),
    ) -> ErasureStatus:
        """Admins only: which services confirmed an erasure, and when it completed."""
        source = requested_by or erasure.http_source(staff)
        return await erasure.erasure_status(runtime.pool, request_id, requested_by=source)

    return router
