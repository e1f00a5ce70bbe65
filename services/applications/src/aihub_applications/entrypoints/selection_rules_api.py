"""HTTP API of the cohort's selection rules that staff act on: bonus points (가점). The rules
that only change how scores count (trimmed mean, calibration, cut-offs) are stage settings in
the catalog and show in the ranking (`selection_api.py`). Managers only (admin, the program's
managers)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from aihub_applications.entrypoints.dependencies import CodePath, staff_of
from aihub_applications.service_layer import bonus_points
from aihub_applications.settings import Settings
from aihub_shared.contracts.values import StatedReason
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.http_auth import StaffDependency, require_role
from aihub_shared.runtime.http_errors import CHANGE_ERRORS, STAFF_ROUTE_ERRORS
from aihub_shared.runtime.http_params import correlation_header
from aihub_shared.runtime.service import ServiceRuntime, runtime_of


class BonusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StatedReason


class BonusAnswer(BaseModel):
    granted: list[str] = Field(description="The application's granted bonus item codes.")
    total: float = Field(description="What they add to its final score (capped).")


def build_selection_rules_router(settings: Settings) -> APIRouter:
    current_staff = staff_of(settings)
    require_manager_role = require_role(current_staff, Role.PROGRAM_MANAGER)
    router = APIRouter(
        tags=["review"], dependencies=[Depends(current_staff)], responses=STAFF_ROUTE_ERRORS
    )
    _add_bonus_routes(router, require_manager_role)
    return router


def _add_bonus_routes(router: APIRouter, require_manager_role: StaffDependency) -> None:
    @router.put("/applications/{application_id}/bonus-points/{item_code}", responses=CHANGE_ERRORS)
    async def grant_bonus(
        application_id: uuid.UUID,
        item_code: CodePath,
        body: BonusChange,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> BonusAnswer:
        """Grant one of the cohort's bonus items (가점) to an application in review, with the
        reason (`bonus_points.granted`). Granting it again changes nothing."""
        state = await bonus_points.change_bonus(
            runtime.pool,
            application_id,
            item_code,
            body.reason,
            granted=True,
            staff=staff,
            correlation_id=correlation_id,
        )
        return BonusAnswer(granted=state.granted, total=state.total)

    @router.post(
        "/applications/{application_id}/bonus-points/{item_code}/revocation",
        responses=CHANGE_ERRORS,
    )
    async def revoke_bonus(
        application_id: uuid.UUID,
        item_code: CodePath,
        body: BonusChange,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> BonusAnswer:
        """Take back a granted bonus item, with the reason (`bonus_points.revoked`); taking
        back one not granted changes nothing."""
        state = await bonus_points.change_bonus(
            runtime.pool,
            application_id,
            item_code,
            body.reason,
            granted=False,
            staff=staff,
            correlation_id=correlation_id,
        )
        return BonusAnswer(granted=state.granted, total=state.total)
