"""`review.submitted` on the real Postgres: queued in the outbox with the scores, once per
(application, stage, reviewer), keyed by the cohort code, and without any score in it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import httpx
import pytest

from services.applications.tests.support import (
    MANAGER,
    CohortFactory,
    bearer,
    outbox_events,
    reviewer_account,
    submission,
    submit,
)

pytestmark = pytest.mark.integration

DOC = "document-review"
CRITERIA = ("technology", "market", "team")
REVIEWERS = [
    {"id": "reviewer.kim@hub.example", "name": "김심사"},
    {"id": "reviewer.lee@hub.example", "name": "이심사"},
]


async def put_scores(
    api: httpx.AsyncClient, app_id: str, reviewer: str, scores: dict[str, int]
) -> httpx.Response:
    return await api.put(
        f"/applications/{app_id}/stages/{DOC}/scores",
        json={"scores": scores, "comment": "solid team"},
        headers=bearer(reviewer_account(reviewer)),
    )


async def submitted_events(pool: asyncpg.Pool, app_id: str) -> list[dict[str, Any]]:
    return [e for e in await outbox_events(pool, app_id) if e["type"] == "review.submitted"]


async def test_complete_scores_publish_review_submitted_once_per_reviewer(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    app_id = (await submit(api, submission(cohort, 1)))["application_id"]
    response = await api.post(
        f"/cohorts/{cohort.cohort_code}/stages/{DOC}/assignments",
        json={"reviewers": REVIEWERS, "per_application": 2},
        headers=bearer(MANAGER),
    )
    assert response.status_code == 200, response.text
    kim, lee = (r["id"] for r in REVIEWERS)

    # Incomplete scores are refused and publish nothing.
    incomplete = await put_scores(api, app_id, kim, {"technology": 80})
    assert incomplete.status_code == 422, incomplete.text
    assert await submitted_events(applications_pool, app_id) == []

    assert (await put_scores(api, app_id, kim, dict.fromkeys(CRITERIA, 80))).status_code == 200
    [event] = await submitted_events(applications_pool, app_id)
    assert event["reviewer"] == {"id": kim, "name": "김심사"}
    assert event["stage_code"] == DOC
    assert event["cohort_code"] == cohort.cohort_code
    assert event["startup_name"] == "Startup 1"
    # Confidential: nothing of the review itself leaves the service.
    assert set(event) == {
        "type",
        "application_id",
        "program_code",
        "cohort_code",
        "startup_name",
        "stage_code",
        "reviewer",
        "submitted_at",
    }
    scored_at = await applications_pool.fetchval(
        "SELECT scored_at FROM review_assignments WHERE application_id = $1 AND reviewer_id = $2",
        app_id,
        kim,
    )
    assert datetime.fromisoformat(event["submitted_at"]) == scored_at

    # A correction replaces the scores but the review was handed in already: no second event.
    corrected = await put_scores(api, app_id, kim, dict.fromkeys(CRITERIA, 60))
    assert corrected.status_code == 200
    assert corrected.json() == {"review_score": 60}
    assert len(await submitted_events(applications_pool, app_id)) == 1

    # The other reviewer's review is their own event.
    assert (await put_scores(api, app_id, lee, dict.fromkeys(CRITERIA, 70))).status_code == 200
    events = await submitted_events(applications_pool, app_id)
    assert [e["reviewer"]["id"] for e in events] == [kim, lee]

    # Keyed like every lifecycle event: by the cohort code.
    keys = await applications_pool.fetch(
        "SELECT key FROM outbox WHERE event_type = 'kr.seoul.aihub.review.submitted.v1'"
        " AND convert_from(value, 'UTF8')::jsonb -> 'data' ->> 'application_id' = $1",
        app_id,
    )
    assert [bytes(k["key"]) for k in keys] == [cohort.cohort_code.encode()] * 2
