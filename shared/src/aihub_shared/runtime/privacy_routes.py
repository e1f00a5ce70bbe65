"""The access-request route every service serves the same way (PIPA art. 35, GDPR art. 15):
an admin posts whom (e-mail and/or application ids, in the body: never in a URL, which logs
keep) and gets every row the service holds about them. `aihub-privacy export` joins the three."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
from fastapi import APIRouter, Depends

from aihub_shared.contracts.privacy import PersonalDataHeld, PersonRef
from aihub_shared.identity import StaffPrincipal
from aihub_shared.runtime.http_auth import StaffDependency, require_role
from aihub_shared.runtime.http_errors import STAFF_ROUTE_ERRORS, error_responses
from aihub_shared.runtime.service import ServiceRuntime, runtime_of

Export = Callable[[asyncpg.Pool, PersonRef], Awaitable[PersonalDataHeld]]

EXPORT_PATH = "/privacy/exports"


def add_export_route(router: APIRouter, current_staff: StaffDependency, export: Export) -> None:
    """Adds the route to the service's own router (not a nested one: `router.routes` then lists
    it, which the authorization tests read)."""
    require_admin = require_role(current_staff)

    @router.post(
        EXPORT_PATH,
        tags=["privacy"],
        responses={**STAFF_ROUTE_ERRORS, **error_responses(400, 413)},
    )
    async def export_person(
        person: PersonRef,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_admin),
    ) -> PersonalDataHeld:
        """Admins only: everything this service holds about a person, as stored."""
        return await export(runtime.pool, person)
