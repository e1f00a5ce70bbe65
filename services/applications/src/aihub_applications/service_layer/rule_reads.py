"""What a cohort's managers read of its selection rules: the challenges (기피 신청) filed, an
application's bonus points (가점) with who granted them and why, a stage's external-share
check (외부 평가위원) as closing the stage would make it, and the cohort's appeals (이의제기)
with what each applicant who asked is told. Reads only; the changes are `challenges.py`,
`bonus_points.py`, `selection.py` and `appeals.py`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from aihub_applications.adapters import appeals, bonus_grants, challenges, panel
from aihub_applications.domain import appeals as appeal_rules
from aihub_applications.domain.panel import PanelCheck, panel_check
from aihub_applications.domain.stage_scoring import StageResult
from aihub_applications.service_layer.access import require_manager
from aihub_applications.service_layer.appeal_views import AppealView, view_of
from aihub_applications.service_layer.bonus_points import bonus_states
from aihub_applications.service_layer.loaders import cohort_managed_by, load, review_of, stage_of
from aihub_applications.service_layer.stage_scores import stage_results
from aihub_shared.identity import StaffPrincipal


@dataclass(frozen=True)
class BonusGrant:
    item_code: str
    reason: str
    granted_by: str
    granted_at: datetime


@dataclass(frozen=True)
class ApplicationBonus:
    grants: list[BonusGrant]
    #: What the grants add to the final score (capped, items the cohort still offers).
    total: float


async def cohort_challenges(
    pool: asyncpg.Pool,
    cohort_code: str,
    *,
    staff: StaffPrincipal,
    status: str | None = None,
    application_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """The cohort's challenges, oldest first (404 without the cohort, 403 to non-managers)."""
    async with pool.acquire() as conn:
        await cohort_managed_by(conn, cohort_code, staff)
        return await challenges.listed(
            conn, cohort_code, status=status, application_id=application_id
        )


async def application_bonus(
    pool: asyncpg.Pool, application_id: uuid.UUID, *, staff: StaffPrincipal
) -> ApplicationBonus:
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        application = await load(conn, application_id, lock=False)
        require_manager(staff, application.program_code)
        review = await review_of(conn, application)
        grants = await bonus_grants.grants_of(conn, application.id)
        state = (await bonus_states(conn, review, [application]))[str(application.id)]
    return ApplicationBonus([BonusGrant(**g) for g in grants], state.total)


async def stage_panel_check(
    pool: asyncpg.Pool, cohort_code: str, stage_code: str, *, staff: StaffPrincipal
) -> PanelCheck:
    """The stage's panel (reviewers with an assignment that counts) against its
    `min_external_share`: the check closing the stage makes, with its figures."""
    async with pool.acquire() as conn:
        review = await cohort_managed_by(conn, cohort_code, staff)
        _, stage = stage_of(review, stage_code)
        return panel_check(stage, await panel.stage_panel(conn, cohort_code, stage.code))


async def cohort_appeals(
    pool: asyncpg.Pool, cohort_code: str, *, staff: StaffPrincipal, status: str | None = None
) -> list[tuple[AppealView, str]]:
    """The cohort's appeals, oldest first, each with its startup's name and, when the applicant
    asked, the stage's disclosure (each stage's results computed once for the whole list)."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        review = await cohort_managed_by(conn, cohort_code, staff)
        rows = await appeals.of_cohort(conn, cohort_code, status)
        results: dict[str, dict[str, StageResult]] = {}
        found = []
        for row in rows:
            disclosure = None
            if row["disclosure_requested"]:
                _, stage = stage_of(review, row["stage_code"])
                if stage.code not in results:
                    results[stage.code] = await stage_results(conn, cohort_code, stage)
                result = results[stage.code].get(str(row["application_id"]))
                disclosure = appeal_rules.disclosure(stage, result)
            found.append((view_of(row, disclosure), row["startup_name"]))
    return found
