"""What a reviewer reading an application sees of the review: their own part, nobody else's —
not a reviewer whose e-mail merely contains theirs, nor the one who recused and was replaced."""

from __future__ import annotations

import httpx
import pytest

from services.applications.tests.support import (
    ADMIN,
    CohortFactory,
    bearer,
    reviewer_account,
    submission,
    submit,
)

pytestmark = pytest.mark.integration

DOC = "document-review"
ANN = "ann@hub.example"
JOANN = "joann@hub.example"  # contains ANN's address
ZED = "zed@hub.example"


async def test_a_reviewer_sees_no_other_reviewer_not_even_the_one_replaced(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    app = (await submit(api, submission(cohort, 1)))["application_id"]
    pool = [{"id": r, "name": r.split("@")[0]} for r in (ANN, JOANN, ZED)]
    assigned = await api.post(
        f"/cohorts/{cohort.cohort_code}/stages/{DOC}/assignments",
        json={"reviewers": pool, "per_application": 2},
        headers=bearer(ADMIN),
    )
    assert {p["reviewer_id"] for p in assigned.json()["assigned"]} == {ANN, JOANN}
    recused = await api.post(
        f"/applications/{app}/stages/{DOC}/conflict",
        json={"reason": "former employer"},
        headers=bearer(reviewer_account(JOANN)),
    )
    assert recused.json() == {"replacement": ZED}

    seen_by_ann = await api.get(f"/applications/{app}", headers=bearer(reviewer_account(ANN)))
    assert seen_by_ann.status_code == 200
    assert "joann" not in seen_by_ann.text
    assert "zed" not in seen_by_ann.text
    assert [h["reason"] for h in seen_by_ann.json()["history"] if h["action"] == "assigned"] == [
        f"reviewer {ANN} assigned"
    ]

    seen_by_zed = await api.get(f"/applications/{app}", headers=bearer(reviewer_account(ZED)))
    assert seen_by_zed.status_code == 200
    assert "ann@" not in seen_by_zed.text  # neither ANN nor JOANN, whom ZED replaces
    (review,) = seen_by_zed.json()["reviews"]
    assert (review["reviewer_id"], review["replaces"]) == (ZED, None)
    notes = [h for h in seen_by_zed.json()["history"] if h["action"] == "assigned"]
    assert [(h["reason"], h["actor"]) for h in notes] == [
        (f"reviewer {ZED} assigned", "reviewer-pool")
    ]
    # The managers still see the whole story.
    full = await api.get(f"/applications/{app}", headers=bearer(ADMIN))
    assert f"reviewer {ZED} assigned in place of {JOANN}" in full.text


async def test_a_reviewer_is_the_same_person_whatever_the_case_of_their_address(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    app = (await submit(api, submission(cohort, 1)))["application_id"]
    named = [{"id": "Kim.Minsu@Hub.Example", "name": "김민수"}, {"id": ZED, "name": "Zed"}]
    assigned = await api.post(
        f"/cohorts/{cohort.cohort_code}/stages/{DOC}/assignments",
        json={"reviewers": named},
        headers=bearer(ADMIN),
    )
    assert {p["reviewer_id"] for p in assigned.json()["assigned"]} == {
        "kim.minsu@hub.example",
        ZED,
    }
    for address in ("kim.minsu@hub.example", "KIM.minsu@hub.example"):
        kim = bearer(reviewer_account(address))
        assert (await api.get(f"/applications/{app}", headers=kim)).status_code == 200
        listed = await api.get(
            "/applications", params={"cohort_code": cohort.cohort_code}, headers=kim
        )
        assert [a["id"] for a in listed.json()] == [app]
        scored = await api.put(
            f"/applications/{app}/stages/{DOC}/scores",
            json={"scores": {"technology": 80, "market": 80, "team": 80}},
            headers=kim,
        )
        assert scored.status_code == 200, scored.text
