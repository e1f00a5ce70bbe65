"""Hostile or careless input on the staff API is a 422 naming the field, never a 500: NUL bytes
(which Postgres text cannot hold), offsets beyond bigint, reasons made of white space only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.applications.tests.conftest import (
    ADMIN,
    CohortFactory,
    bearer,
    reviewer_token,
    submission,
    submit,
)

pytestmark = pytest.mark.integration

REVIEWER = "reviewer@hub.example"
DOC = "document-review"


def locations(response: httpx.Response) -> list[list[Any]]:
    assert response.status_code == 422, response.text
    return [e["loc"] for e in response.json()["detail"]]


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
        headers=bearer(reviewer_token(REVIEWER)),
    )
    assert locations(response) == [["body", "comment"]]
    fine = await api.put(
        path,
        json={"scores": scores, "comment": "<b>Strong</b>\r\nteam"},
        headers=bearer(reviewer_token(REVIEWER)),
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
