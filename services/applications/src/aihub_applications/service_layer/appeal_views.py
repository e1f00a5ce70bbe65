"""Reading appeals (이의제기) and what an applicant may be told about a stage: staff's views,
and the disclosure computed where every stage result is (`stage_scores`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from aihub_applications.adapters import appeals
from aihub_applications.domain import appeals as rules
from aihub_applications.domain.application import Application
from aihub_applications.domain.review import CohortReview
from aihub_applications.domain.status import RuleBroken, Status
from aihub_applications.service_layer.access import require_manager
from aihub_applications.service_layer.loaders import load, review_of, stage_of
from aihub_applications.service_layer.stage_scores import stage_results
from aihub_shared.contracts.applications import StageDisclosure
from aihub_shared.contracts.programs import ReviewStage
from aihub_shared.identity import StaffPrincipal
from aihub_shared.runtime.db import DbConnection


@dataclass(frozen=True)
class AppealView:
    """One appeal as staff see it; `disclosure` only when the applicant asked for it."""

    appeal_id: uuid.UUID
    application_id: uuid.UUID
    stage_code: str
    status: str
    reason: str
    disclosure_requested: bool
    filed_by: str
    filed_at: datetime
    decision_at: datetime
    decision_reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    reinstated_to_stage: str | None
    disclosure: StageDisclosure | None


@dataclass(frozen=True)
class ApplicationAppeals:
    #: Until when the application's latest rejection may be appealed; None: it may not (not
    #: rejected, no appeals in its stage, window closed, or already appealed).
    appealable_until: datetime | None
    appeals: list[AppealView]


async def disclosure_of(
    conn: DbConnection, application: Application, stage: ReviewStage
) -> StageDisclosure:
    result = (await stage_results(conn, application.cohort_code, stage)).get(str(application.id))
    return rules.disclosure(stage, result)


async def stage_disclosure(
    pool: asyncpg.Pool, application_id: uuid.UUID, stage_code: str, *, staff: StaffPrincipal
) -> StageDisclosure:
    """What the applicant may be told about one stage, for staff to pass on."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        application = await load(conn, application_id, lock=False)
        require_manager(staff, application.program_code)
        _, stage = stage_of(await review_of(conn, application), stage_code)
        return await disclosure_of(conn, application, stage)


async def appeals_of(
    pool: asyncpg.Pool, application_id: uuid.UUID, *, staff: StaffPrincipal
) -> ApplicationAppeals:
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        application = await load(conn, application_id, lock=False)
        require_manager(staff, application.program_code)
        review = await review_of(conn, application)
        rows = await appeals.of_application(conn, application.id)
        views = []
        for row in rows:
            _, stage = stage_of(review, row["stage_code"])
            asked = row["disclosure_requested"]
            views.append(
                view_of(row, await disclosure_of(conn, application, stage) if asked else None)
            )
        return ApplicationAppeals(await _appealable_until(conn, application, review, rows), views)


async def _appealable_until(
    conn: DbConnection, application: Application, review: CohortReview, rows: list[dict[str, Any]]
) -> datetime | None:
    if application.status is not Status.REJECTED:
        return None
    decided_at = await appeals.rejected_at(conn, application.id)
    if any(row["decision_at"] == decided_at for row in rows):
        return None
    stage = review.stages[application.lifecycle(review).stage_index]
    try:
        return rules.appeal_deadline(application.status, stage, decided_at, datetime.now(UTC))
    except RuleBroken:
        return None


def view_of(row: dict[str, Any], disclosure: StageDisclosure | None) -> AppealView:
    return AppealView(
        appeal_id=row["id"],
        application_id=row["application_id"],
        stage_code=row["stage_code"],
        status=row["status"],
        reason=row["reason"],
        disclosure_requested=row["disclosure_requested"],
        filed_by=row["filed_by"],
        filed_at=row["filed_at"],
        decision_at=row["decision_at"],
        decision_reason=row["decision_reason"],
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        reinstated_to_stage=row["reinstated_to_stage"],
        disclosure=disclosure,
    )
