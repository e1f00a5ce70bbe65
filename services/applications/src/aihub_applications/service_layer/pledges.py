"""평가위원 서약: a reviewer of a stage's pool reads and accepts the reviewer pledge; a stage
that requires it refuses their scores until they have (`require_pledge`, called by scoring)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from aihub_applications.adapters import catalog_replica, pledges, reviews
from aihub_applications.domain.pledges import PLEDGE_TEXT, PLEDGE_VERSION, require_pledged
from aihub_applications.service_layer.events import publish
from aihub_applications.service_layer.loaders import stage_of
from aihub_shared.contracts.applications import ReviewerRef, ReviewPledged
from aihub_shared.contracts.programs import ReviewStage
from aihub_shared.identity import StaffPrincipal
from aihub_shared.refusals import Forbidden, NotFound
from aihub_shared.runtime.db import DbConnection


@dataclass(frozen=True)
class PledgeState:
    stage_code: str
    required: bool
    version: str
    text: dict[str, str]
    accepted_at: datetime | None


async def pledge_state(
    pool: asyncpg.Pool, cohort_code: str, stage_code: str, *, staff: StaffPrincipal
) -> PledgeState:
    """The pledge of a stage, and when the calling reviewer accepted it (None: not yet)."""
    async with pool.acquire() as conn:
        stage, _ = await _pool_member(conn, cohort_code, stage_code, staff)
        at = await pledges.accepted_at(conn, cohort_code, stage.code, staff.id)
    return PledgeState(stage.code, stage.pledge_required, PLEDGE_VERSION, PLEDGE_TEXT, at)


async def accept_pledge(
    pool: asyncpg.Pool,
    cohort_code: str,
    stage_code: str,
    *,
    staff: StaffPrincipal,
    correlation_id: str | None = None,
) -> PledgeState:
    """Record the caller's acceptance, once (`review.pledged`); accepting again changes nothing
    and answers the first acceptance's time."""
    async with pool.acquire() as conn, conn.transaction():
        stage, (program_code, name) = await _pool_member(conn, cohort_code, stage_code, staff)
        at, now = await pledges.record(conn, cohort_code, stage.code, staff.id, PLEDGE_VERSION)
        if now:
            pledged = ReviewPledged(
                program_code=program_code,
                cohort_code=cohort_code,
                stage_code=stage.code,
                reviewer=ReviewerRef(id=staff.id, name=name),
                pledge_version=PLEDGE_VERSION,
                accepted_at=at,
            )
            await publish(
                conn,
                "review.pledged",
                subject=cohort_code,
                data=pledged,
                correlation_id=correlation_id,
            )
    return PledgeState(stage.code, stage.pledge_required, PLEDGE_VERSION, PLEDGE_TEXT, at)


async def require_pledge(
    conn: DbConnection, cohort_code: str, stage: ReviewStage, reviewer_id: str
) -> None:
    """409 while a stage that requires the pledge has none from this reviewer."""
    if stage.pledge_required:
        at = await pledges.accepted_at(conn, cohort_code, stage.code, reviewer_id)
        require_pledged(stage, reviewer_id, at)


async def _pool_member(
    conn: DbConnection, cohort_code: str, stage_code: str, staff: StaffPrincipal
) -> tuple[ReviewStage, tuple[str, str]]:
    """The stage, its program and the caller's name in its reviewer pool (403 outside it)."""
    review = await catalog_replica.cohort_review(conn, cohort_code)
    if review is None:
        raise NotFound(f"no cohort {cohort_code}")
    _, stage = stage_of(review, stage_code)
    names = await reviews.pool(conn, cohort_code, stage.code)
    if staff.id not in names:
        raise Forbidden(f"{staff.id} is not a reviewer of {cohort_code} in {stage.code}")
    return stage, (review.program_code, names[staff.id])
