"""The catalog replica keeps what eligibility and review read, and never goes back in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from aihub_applications.adapters import catalog_replica
from services.applications.tests.support import ADMIN, CohortFactory, bearer

pytestmark = pytest.mark.integration


async def test_questions_stages_and_agreement_days_are_replicated(
    applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    stage = {
        "code": "pitch",
        "name_ko": "발표",
        "name_en": "Pitch",
        "weight": 100,
        "min_reviewers": 3,
        "advance_top_k": 5,
        "criteria": [{"code": "fit", "name_ko": "적합", "name_en": "Fit", "weight": 1}],
    }
    cohort = await make_cohort(review_stages=[stage], agreement_due_days=21, seats=4)
    async with applications_pool.acquire() as conn:
        rules = await catalog_replica.cohort_rules(conn, cohort.cohort_code)
        review = await catalog_replica.cohort_review(conn, cohort.cohort_code)
        days = await conn.fetchval(
            "SELECT agreement_due_days FROM cohorts WHERE cohort_code = $1", cohort.cohort_code
        )
    assert rules is not None
    assert [(q.key, q.required) for q in rules.questions] == [("why_now", True), ("extra", False)]
    assert review is not None
    assert review.seats == 4
    assert [(s.code, s.min_reviewers, s.advance_top_k) for s in review.stages] == [("pitch", 3, 5)]
    assert days == 21


async def test_an_older_event_never_overwrites_a_newer_state(
    applications_pool: asyncpg.Pool, make_cohort: CohortFactory, api: httpx.AsyncClient
) -> None:
    cohort = await make_cohort(seats=3)
    stale = cohort.model_copy(update={"seats": 99})
    async with applications_pool.acquire() as conn:
        await catalog_replica.replicate_cohort(conn, stale, datetime.now(UTC) - timedelta(hours=1))
        review = await catalog_replica.cohort_review(conn, cohort.cohort_code)
    assert review is not None
    assert review.seats == 3
    listed = (await api.get("/cohorts", headers=bearer(ADMIN))).json()
    assert any(c["cohort_code"] == cohort.cohort_code for c in listed)


async def test_the_openapi_document_describes_every_route(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    for path in (
        "/applications",
        "/applications/{application_id}",
        "/applications/decisions",
        "/applications/{application_id}/withdrawal",
        "/applications/{application_id}/stages/{stage_code}/scores",
        "/applications/{application_id}/stages/{stage_code}/conflict",
        "/applications/{application_id}/advance",
        "/cohorts/{cohort_code}/stages/{stage_code}/assignments",
        "/cohorts/{cohort_code}/stages/{stage_code}/advance",
        "/cohorts/{cohort_code}/selection",
        "/cohorts/{cohort_code}/ranking.csv",
        "/intake/applications",
    ):
        assert path in paths, path
