"""The one place a use case gets a stage's results: the stage's assignments, minus the
reviewers whose scores are suspended by an open challenge (기피 신청), under the stage's
selection rules (`domain.stage_scoring`). Ranking, advancing and selection all read here."""

from __future__ import annotations

from aihub_applications.adapters import challenges, reviews
from aihub_applications.domain import stage_scoring
from aihub_applications.domain.stage_scoring import StageResult
from aihub_shared.contracts.programs import ReviewStage
from aihub_shared.runtime.db import DbConnection


async def stage_results(
    conn: DbConnection, cohort_code: str, stage: ReviewStage
) -> dict[str, StageResult]:
    assignments = await reviews.stage_assignments(conn, cohort_code, stage.code)
    suspended = await challenges.open_in_stage(conn, cohort_code, stage.code)
    return stage_scoring.stage_results(stage, assignments, suspended)
