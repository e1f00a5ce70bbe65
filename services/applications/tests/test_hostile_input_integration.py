"""Hostile or careless input on the staff API is a 422 naming the field, never a 500: NUL bytes
(which Postgres text cannot hold), lone surrogates (valid JSON escapes no UTF-8 can encode, not
even in the 422 that echoes them), offsets beyond bigint, reasons made of white space only."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from services.applications.tests.support import (
    ADMIN,
    OPS,
    CohortFactory,
    bearer,
    locations,
    reviewer_account,
    submission,
    submit,
)

pytestmark = pytest.mark.integration

REVIEWER = "reviewer@hub.example"
DOC = "document-review"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("cohort_code", "cv\x00x"),
        ("program_code", "prog\x00"),
        ("stage_code", "\x00"),
        ("q", "start\x00up"),
        ("offset", str(2**63)),
        ("offset", str(10**30)),
    ],
)
async def test_hostile_list_filters_are_422(api: httpx.AsyncClient, name: str, value: str) -> None:
    response = await api.get("/applications", params={name: value}, headers=bearer(ADMIN))
    assert locations(response) == [["query", name]]


async def test_a_score_comment_with_nul_is_422(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    app = (await submit(api, submission(cohort, 1)))["application_id"]
    assigned = await api.post(
        f"/cohorts/{cohort.cohort_code}/stages/{DOC}/assignments",
        json={"reviewers": [{"id": REVIEWER, "name": "R"}], "per_application": 2},
        headers=bearer(ADMIN),
    )
    assert assigned.status_code == 200, assigned.text
    path = f"/applications/{app}/stages/{DOC}/scores"
    scores = {"technology": 70, "market": 70, "team": 70}
    response = await api.put(
        path,
        json={"scores": scores, "comment": "good\x00team"},
        headers=bearer(reviewer_account(REVIEWER)),
    )
    assert locations(response) == [["body", "comment"]]
    fine = await api.put(
        path,
        json={"scores": scores, "comment": "<b>Strong</b>\r\nteam"},
        headers=bearer(reviewer_account(REVIEWER)),
    )
    assert fine.status_code == 200, fine.text


@pytest.mark.parametrize("reason", ["", "   ", "\n\t ", "\u3000"])
async def test_a_reason_of_white_space_only_is_no_reason(
    api: httpx.AsyncClient, make_cohort: CohortFactory, reason: str
) -> None:
    cohort = await make_cohort()
    app = (await submit(api, submission(cohort, 1)))["application_id"]
    admin = bearer(ADMIN)
    decided = await api.post(
        f"/applications/{app}/decision",
        json={"outcome": "rejected", "reason": reason},
        headers=admin,
    )
    assert locations(decided) == [["body", "reason"]]
    withdrawn = await api.post(
        f"/applications/{app}/withdrawal", json={"reason": reason}, headers=admin
    )
    assert locations(withdrawn) == [["body", "reason"]]
    selected = await api.post(
        f"/cohorts/{cohort.cohort_code}/selection", json={"reason": reason}, headers=admin
    )
    assert locations(selected) == [["body", "reason"]]
    detail = (await api.get(f"/applications/{app}", headers=admin)).json()
    assert detail["status"] == "received"


def as_json_with_escapes(body: dict[str, Any]) -> dict[str, Any]:
    """The body as a publisher may send it: a lone surrogate as its JSON escape."""
    return {"content": json.dumps(body), "headers": {"Content-Type": "application/json"}}


async def test_a_lone_surrogate_anywhere_is_422_naming_the_field(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    hostile = submission(cohort, 1)
    hostile["startup"]["name"] = "Lab \ud800"
    hostile["answers"] = {"why_now": "\udfff"}
    sent = as_json_with_escapes(hostile)
    refused = await api.post(
        "/intake/applications", content=sent["content"], headers={**sent["headers"], **bearer(OPS)}
    )
    assert sorted(locations(refused)) == [
        ["body", "answers", "why_now"],
        ["body", "startup", "name"],
    ]
    assert "\\ud800" in refused.text  # echoed as its escape

    app = (await submit(api, submission(cohort, 2)))["application_id"]
    await api.post(
        f"/cohorts/{cohort.cohort_code}/stages/{DOC}/assignments",
        json={"reviewers": [{"id": REVIEWER, "name": "R"}], "per_application": 2},
        headers=bearer(ADMIN),
    )
    scores = {"scores": {"technology": 1, "market": 1, "team": 1}, "comment": "\ud83d"}
    sent = as_json_with_escapes(scores)
    response = await api.put(
        f"/applications/{app}/stages/{DOC}/scores",
        content=sent["content"],
        headers={**sent["headers"], **bearer(reviewer_account(REVIEWER))},
    )
    assert locations(response) == [["body", "comment"]]
