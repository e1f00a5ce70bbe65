"""An access request's export (`POST /privacy/exports`) on the real Postgres lists what was
asked and granted for the applicant — their appeals, the challenges filed for them, their bonus
grants — with stage, reason, status, outcome and dates; after an erasure the same export shows
the words gone and the outcomes kept."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from services.applications.tests.support import (
    ADMIN,
    MANAGER,
    CohortFactory,
    bearer,
    submission,
    submit,
)

pytestmark = pytest.mark.integration

DOC = "document-review"
REVIEWER = "export-r1@hub.example"
STAGES: list[dict[str, Any]] = [
    {
        "code": DOC,
        "name_ko": "서류평가",
        "name_en": "Documents",
        "weight": 100,
        "min_reviewers": 1,
        "appeal_window_days": 7,
        "appeal_disclosure": "score",
        "criteria": [{"code": "technology", "name_ko": "기술성", "name_en": "Tech", "weight": 1}],
    }
]
YOUTH = {"code": "youth-founder", "name_ko": "청년 창업자", "name_en": "Young founder", "points": 1}


async def _ok(api: httpx.AsyncClient, method: str, path: str, body: dict[str, Any]) -> Any:
    response = await api.request(method, path, json=body, headers=bearer(MANAGER))
    assert response.status_code == 200, response.text
    return response.json()


async def _export(api: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post("/privacy/exports", json=body, headers=bearer(ADMIN))
    assert response.status_code == 200, response.text
    records: dict[str, Any] = response.json()["records"]
    return records


async def test_the_export_lists_appeals_challenges_and_bonus_grants_before_and_after_erasure(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort(review_stages=STAGES, bonus_items=[YOUTH], bonus_cap=1)
    email = f"export-{uuid.uuid4().hex[:8]}@startup.example"
    contact = {"name": "Hana Kim", "email": email, "locale": "ko"}
    app = (await submit(api, submission(cohort, 1, contact=contact)))["application_id"]
    code = cohort.cohort_code
    await _ok(
        api,
        "POST",
        f"/cohorts/{code}/stages/{DOC}/assignments",
        {"reviewers": [{"id": REVIEWER, "name": "R1"}]},
    )
    await _ok(
        api,
        "PUT",
        f"/applications/{app}/bonus-points/{YOUTH['code']}",
        {"reason": "Hana born 1997"},
    )
    challenge = await _ok(
        api,
        "POST",
        f"/applications/{app}/stages/{DOC}/challenges",
        {"reviewer_id": REVIEWER, "reason": "Hana's former employer"},
    )
    await _ok(
        api,
        "POST",
        f"/challenges/{challenge['challenge_id']}/decision",
        {"outcome": "dismissed", "reason": "left Hana's employer in 2019"},
    )
    await _ok(
        api, "POST", f"/applications/{app}/decision", {"outcome": "rejected", "reason": "scope"}
    )
    appeal = await _ok(
        api, "POST", f"/applications/{app}/appeals", {"reason": "Hana's patent was missed"}
    )
    await _ok(
        api,
        "POST",
        f"/appeals/{appeal['appeal_id']}/decision",
        {"outcome": "dismissed", "reason": "Hana's patent was read"},
    )

    held = await _export(api, {"email": email.upper()})
    (appealed,) = held["appeals"]
    assert {k: appealed[k] for k in ("id", "application_id", "stage_code", "status")} == {
        "id": appeal["appeal_id"],
        "application_id": app,
        "stage_code": DOC,
        "status": "dismissed",
    }
    assert (appealed["reason"], appealed["decision_reason"]) == (
        "Hana's patent was missed",
        "Hana's patent was read",
    )
    assert appealed["decision_at"] <= appealed["filed_at"] <= appealed["decided_at"]
    (challenged,) = held["review_challenges"]
    assert (challenged["id"], challenged["stage_code"], challenged["reviewer_id"]) == (
        challenge["challenge_id"],
        DOC,
        REVIEWER,
    )
    assert (challenged["reason"], challenged["status"], challenged["decision_reason"]) == (
        "Hana's former employer",
        "dismissed",
        "left Hana's employer in 2019",
    )
    assert challenged["filed_at"] <= challenged["decided_at"]
    assert [(g["item_code"], g["reason"]) for g in held["bonus_grants"]] == [
        (YOUTH["code"], "Hana born 1997")
    ]

    erased = await api.post(
        "/privacy/erasures",
        json={"request_id": f"req-{uuid.uuid4().hex[:8]}", "email": email},
        headers=bearer(ADMIN),
    )
    assert erased.status_code == 200, erased.text

    # The address is gone from the submission: the person is found by their application's id.
    assert (await _export(api, {"email": email}))["appeals"] == []
    after = await _export(api, {"application_ids": [app]})
    assert "Hana" not in str(
        {k: after[k] for k in ("appeals", "review_challenges", "bonus_grants")}
    )
    (appealed_after,) = after["appeals"]
    assert appealed_after == appealed | {"reason": "(erased)", "decision_reason": "(erased)"}
    (challenged_after,) = after["review_challenges"]
    assert challenged_after == challenged | {"reason": "(erased)", "decision_reason": "(erased)"}
    assert after["bonus_grants"] == [held["bonus_grants"][0] | {"reason": "(erased)"}]
