"""The publishing systems' door for challenges (기피 신청) keeps the panel to itself: on the real
Postgres, a challenge of a stranger, of a pool member not assigned, of a reviewer replaced after a
conflict and a second challenge of the same reviewer are refused with one and the same reason,
naming nobody; staff over HTTP still get the precise reasons. What a publisher may know anyway
(the application is not in that stage) stays precise."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from aihub_applications.service_layer import selection_requests
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.intake import ChallengeRequested
from aihub_shared.contracts.registry import contract
from services.applications.tests.support import (
    MANAGER,
    CohortFactory,
    bearer,
    outbox_events_keyed,
    reviewer_account,
    submission,
    submit,
)

pytestmark = pytest.mark.integration

DOC, PRES = "document-review", "presentation-review"
POOL = ["door-r1@hub.example", "door-r2@hub.example", "door-r3@hub.example"]


async def _challenge_on_kafka(
    pool: asyncpg.Pool, source: str, application_id: str, reviewer: str, stage: str = DOC
) -> dict[str, Any]:
    """What the selection-requests consumer does with one `challenge.requested`: the receipt."""
    request_id = f"door-{uuid.uuid4().hex[:12]}"
    data = {
        "request_id": request_id,
        "application_id": application_id,
        "stage_code": stage,
        "reviewer_id": reviewer,
        "reason": "advises a competitor",
    }
    event = CloudEvent.model_validate(
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": source,
            "type": contract("challenge.requested").type,
            "time": datetime.now(UTC).isoformat(),
            "subject": request_id,
            "data": data,
        }
    )
    async with pool.acquire() as conn, conn.transaction():
        await selection_requests.receive_challenge(
            conn, event, ChallengeRequested.model_validate(data)
        )
    (receipt,) = await outbox_events_keyed(pool, request_id)
    return receipt


async def test_a_refused_challenge_does_not_tell_a_publisher_who_reviews_the_application(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    app = (await submit(api, submission(cohort, 1)))["application_id"]
    source = await applications_pool.fetchval(
        "SELECT submitted_by FROM applications WHERE id = $1", uuid.UUID(app)
    )
    r1, r2, r3 = POOL
    assigned = await api.post(
        f"/cohorts/{cohort.cohort_code}/stages/{DOC}/assignments",
        json={"reviewers": [{"id": r, "name": r[:7]} for r in POOL], "per_application": 2},
        headers=bearer(MANAGER),
    )
    assert {a["reviewer_id"] for a in assigned.json()["assigned"]} == {r1, r2}
    recused = await api.post(
        f"/applications/{app}/stages/{DOC}/conflict",
        json={"reason": "former colleague"},
        headers=bearer(reviewer_account(r2)),
    )
    assert recused.json()["replacement"] == r3, recused.text
    # Now r1 and r3 review; r2 did until recusing.

    accepted = await _challenge_on_kafka(applications_pool, source, app, r1)
    assert accepted["outcome"] == "accepted", accepted
    stranger = "x@elsewhere.example"
    refused = {
        name: await _challenge_on_kafka(applications_pool, source, app, reviewer)
        for name, reviewer in (("stranger", stranger), ("replaced", r2), ("again", r1.upper()))
    }
    assert {k: r["outcome"] for k, r in refused.items()} == dict.fromkeys(refused, "refused")
    reasons = [r["reasons"] for r in refused.values()]
    assert reasons == [reasons[0]] * 3  # the same words whatever the panel
    (reason,) = reasons[0]
    assert reason["code"] == "not_challengeable"
    assert not any(name in reason["message"] for name in ("door-r", "elsewhere", "@"))
    assert "사업 담당자" in reason["message"]
    assert "program's manager" in reason["message"]

    # What the publisher knows anyway stays precise: the application is not in that stage.
    elsewhere = await _challenge_on_kafka(applications_pool, source, app, r3, stage=PRES)
    assert [r["code"] for r in elsewhere["reasons"]] == ["wrong_stage"]

    # One challenge filed in all: the refusals changed nothing.
    history = (await api.get(f"/applications/{app}", headers=bearer(MANAGER))).json()["history"]
    assert [h["action"] for h in history].count("challenged") == 1

    # The manager's door keeps the precise reasons, with their codes.
    async def by_manager(reviewer: str) -> httpx.Response:
        return await api.post(
            f"/applications/{app}/stages/{DOC}/challenges",
            json={"reviewer_id": reviewer, "reason": "the applicant asked by phone"},
            headers=bearer(MANAGER),
        )

    unknown = await by_manager(stranger)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "reviewer_not_assigned")
    again = await by_manager(r1)
    assert (again.status_code, again.json()["code"]) == (409, "challenge_already_open")
