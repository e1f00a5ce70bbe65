"""Loading what a use case decides on, refusing what is not there (404) or not the caller's
(403): one application under its row lock, its cohort's review rules, a cohort a manager runs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from aihub_applications.adapters import catalog_replica, repository
from aihub_applications.domain.application import Application
from aihub_applications.domain.review import CohortReview
from aihub_applications.service_layer.access import require_manager
from aihub_shared.contracts.programs import ReviewStage
from aihub_shared.identity import StaffPrincipal
from aihub_shared.refusals import NotFound
from aihub_shared.runtime.db import DbConnection


async def load(conn: DbConnection, application_id: uuid.UUID, *, lock: bool = True) -> Application:
    """The application, locked for the rest of the transaction (unless `lock` is False)."""
    application = await repository.lock_application(conn, application_id, lock=lock)
    if application is None:
        raise NotFound(f"no application {application_id}")
    return application


async def review_of(conn: DbConnection, application: Application) -> CohortReview:
    review = await catalog_replica.cohort_review(conn, application.cohort_code)
    if review is None:  # stored applications always had their cohort in the replica
        raise NotFound(f"no cohort {application.cohort_code} in the catalog replica")
    return review


async def managed_cohort(
    conn: DbConnection, cohort_code: str, staff: StaffPrincipal
) -> CohortReview:
    """The cohort's review rules, once the caller is known to manage its program; the cohort
    stays locked for the rest of the transaction (assignments, advancing, selection)."""
    review = await cohort_managed_by(conn, cohort_code, staff)
    await repository.lock_cohort(conn, cohort_code)
    return review


async def cohort_managed_by(
    conn: DbConnection, cohort_code: str, staff: StaffPrincipal
) -> CohortReview:
    """The cohort's review rules, for reading: 404 without it, 403 unless the caller manages
    its program."""
    review = await catalog_replica.cohort_review(conn, cohort_code)
    if review is None:
        raise NotFound(f"no cohort {cohort_code}")
    require_manager(staff, review.program_code)
    return review


def stage_of(review: CohortReview, stage_code: str) -> tuple[int, ReviewStage]:
    index = review.stage_index(stage_code)
    if index is None:
        raise NotFound(f"cohort {review.cohort_code} has no review stage {stage_code}")
    return index, review.stages[index]


def in_stage(
    applications: Sequence[Application], review: CohortReview, index: int
) -> list[Application]:
    return [a for a in applications if a.lifecycle(review).stage_index == index]
