"""How a cohort's review stands, for its managers: pipeline counts per status and stage, and
each reviewer's progress in a stage (the rules are `domain/progress.py`)."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from aihub_applications.adapters import panel, repository, reviews
from aihub_applications.domain import progress
from aihub_applications.service_layer.loaders import cohort_managed_by, stage_of
from aihub_shared.identity import StaffPrincipal


async def cohort_pipeline(
    pool: asyncpg.Pool, cohort_code: str, *, staff: StaffPrincipal
) -> tuple[progress.Pipeline, list[tuple[str, str, str]]]:
    """The cohort's counts and its stages (code, Korean and English name) in order."""
    async with pool.acquire() as conn:
        review = await cohort_managed_by(conn, cohort_code, staff)
        counts = await repository.status_counts(conn, cohort_code)
    stages = [(s.code, s.name_ko, s.name_en) for s in review.stages]
    return progress.pipeline(review, counts), stages


async def stage_reviewers(
    pool: asyncpg.Pool,
    cohort_code: str,
    stage_code: str,
    *,
    staff: StaffPrincipal,
    now: datetime | None = None,
) -> tuple[list[progress.ReviewerProgress], set[str]]:
    """The stage's reviewer pool and anyone assigned in it, with their progress; and those
    of the pool marked external (외부 평가위원)."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        review = await cohort_managed_by(conn, cohort_code, staff)
        stage_of(review, stage_code)
        members = await reviews.pool(conn, cohort_code, stage_code)
        states = await reviews.assignment_states(conn, cohort_code, stage_code)
        external = await panel.external_in_pool(conn, cohort_code, stage_code)
    return progress.reviewer_progress(members, states, now or datetime.now(UTC)), external
