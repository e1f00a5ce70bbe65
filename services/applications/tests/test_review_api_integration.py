"""Staged review over HTTP on the real Postgres: assignment, scores, conflict of interest,
advancing, selection with the ranked reserve, withdrawal and the CSV export."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime
from typing import Any

import asyncpg
import httpx
import pytest

from services.applications.tests.support import (
    ADMIN,
    MANAGER,
    CohortFactory,
    bearer,
    outbox_events,
    reviewer_account,
    submission,
    submit,
)

pytestmark = pytest.mark.integration

REVIEWERS = [f"reviewer{n}@hub.example" for n in range(1, 4)]
DOC = "document-review"
PRES = "presentation-review"


async def assign(api: httpx.AsyncClient, cohort: str, stage: str, **body: Any) -> dict[str, Any]:
    body.setdefault("reviewers", [{"id": r, "name": r.split("@")[0]} for r in REVIEWERS])
    response = await api.post(
        f"/cohorts/{cohort}/stages/{stage}/assignments", json=body, headers=bearer(MANAGER)
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def score_all(
    api: httpx.AsyncClient, assigned: list[dict[str, str]], stage: str, by_app: dict[str, int]
) -> None:
    """Each assigned reviewer gives every criterion the application's score."""
    criteria = {DOC: ["technology", "market", "team"], PRES: ["business-plan", "hub-fit"]}[stage]
    for pair in assigned:
        value = by_app[pair["application_id"]]
        response = await api.put(
            f"/applications/{pair['application_id']}/stages/{stage}/scores",
            json={"scores": dict.fromkeys(criteria, value), "comment": "ok"},
            headers=bearer(reviewer_account(pair["reviewer_id"])),
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"review_score": value}


async def test_a_cohort_through_both_stages_to_ranked_acceptance(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort(seats=1)
    ids = [(await submit(api, submission(cohort, n)))["application_id"] for n in range(4)]

    due = "2026-12-01T18:00:00+09:00"
    first = await assign(api, cohort.cohort_code, DOC, per_application=2, due_at=due)
    assigned = first["assigned"]
    assert first["short_of_reviewers"] == []
    assert len(assigned) == 8
    load = {r: sum(p["reviewer_id"] == r for p in assigned) for r in REVIEWERS}
    assert max(load.values()) - min(load.values()) <= 1, load  # balanced

    # A reviewer with a conflict steps aside and the pool supplies someone new to that startup.
    conflicted = assigned[0]
    response = await api.post(
        f"/applications/{conflicted['application_id']}/stages/{DOC}/conflict",
        json={"reason": "I advised this startup last year"},
        headers=bearer(reviewer_account(conflicted["reviewer_id"])),
    )
    assert response.status_code == 200, response.text
    replacement = response.json()["replacement"]
    assert replacement in REVIEWERS
    assert replacement not in {
        p["reviewer_id"] for p in assigned if p["application_id"] == conflicted["application_id"]
    }
    # ... and can no longer score it.
    refused = await api.put(
        f"/applications/{conflicted['application_id']}/stages/{DOC}/scores",
        json={"scores": {"technology": 1, "market": 1, "team": 1}},
        headers=bearer(reviewer_account(conflicted["reviewer_id"])),
    )
    assert refused.status_code == 409, refused.text
    assigned = [p for p in assigned if p != conflicted] + [
        {"application_id": conflicted["application_id"], "reviewer_id": replacement}
    ]

    # A reviewer sees their own part of the review, nothing of the other reviewers'.
    mine = assigned[0]
    seen_by_reviewer = await api.get(
        f"/applications/{mine['application_id']}",
        headers=bearer(reviewer_account(mine["reviewer_id"])),
    )
    assert seen_by_reviewer.status_code == 200
    others = {
        p["reviewer_id"] for p in assigned if p["application_id"] == mine["application_id"]
    } - {mine["reviewer_id"]}
    others.add(conflicted["reviewer_id"])
    assert mine["application_id"] == conflicted["application_id"]
    assert not any(other in seen_by_reviewer.text for other in others)
    assert [r["reviewer_id"] for r in seen_by_reviewer.json()["reviews"]] == [mine["reviewer_id"]]

    doc_scores = dict(zip(ids, [80, 70, 90, 60], strict=True))
    # Advancing before every application has its reviews is refused with the reason.
    early = await api.post(
        f"/cohorts/{cohort.cohort_code}/stages/{DOC}/advance",
        json={"reason": "document review closed"},
        headers=bearer(MANAGER),
    )
    assert early.status_code == 409
    assert "scored reviews" in early.json()["detail"]
    await score_all(api, assigned, DOC, doc_scores)
    advanced = await api.post(
        f"/cohorts/{cohort.cohort_code}/stages/{DOC}/advance",
        json={"reason": "document review closed"},
        headers=bearer(MANAGER),
    )
    assert advanced.status_code == 200, advanced.text
    assert all(o["passed"] for o in advanced.json())  # the default stages have no threshold

    second = await assign(api, cohort.cohort_code, PRES)
    assert second["short_of_reviewers"] == []
    pres_scores = dict(zip(ids, [80, 85, 70, 40], strict=True))
    await score_all(api, second["assigned"], PRES, pres_scores)
    selected = await api.post(
        f"/cohorts/{cohort.cohort_code}/selection",
        json={"reason": "selection committee 2027-01", "reserve": 2},
        headers=bearer(MANAGER),
    )
    assert selected.status_code == 200, selected.text
    # final = 0.3 doc + 0.7 presentation: 80, 80.5, 76, 46 → ranks 2, 1, 3, rejected
    by_id = {o["application_id"]: o for o in selected.json()}
    assert [by_id[i]["rank"] for i in ids] == [2, 1, 3, None]
    assert by_id[ids[1]]["score"] == pytest.approx(80.5)
    assert "a seat" in by_id[ids[1]]["reason"]
    assert "reserve place 1" in by_id[ids[0]]["reason"]

    events = await outbox_events(applications_pool, ids[0])
    kinds = [e["type"] for e in events]
    review_events = [e for e in events if e["type"] == "review.assigned"]
    replaced = [e for e in review_events if e["replaces"]]
    # The replacement inherits the deadline of the reviewer who stepped aside.
    assert {
        datetime.fromisoformat(e["due_at"]) for e in review_events if e["stage_code"] == DOC
    } == {datetime.fromisoformat(due)}
    assert [e["replaces"]["id"] for e in replaced] == [conflicted["reviewer_id"]]
    # The reviewer who stepped aside is published as such, before their replacement.
    stepped_aside = [e for e in events if e["type"] == "review.conflict_declared"]
    assert [(e["reviewer"]["id"], e["stage_code"]) for e in stepped_aside] == [
        (conflicted["reviewer_id"], DOC)
    ]
    assert kinds.index("review.conflict_declared") < events.index(replaced[0])
    assert kinds.count("review.assigned") >= 4
    assert "application.advanced" in kinds
    accepted = events[-1]
    assert accepted["type"] == "application.accepted"
    assert (accepted["rank"], accepted["final_score"]) == (2, 80.0)
    assert (await outbox_events(applications_pool, ids[3]))[-1]["type"] == "application.rejected"

    detail = (await api.get(f"/applications/{ids[0]}", headers=bearer(MANAGER))).json()
    actions = [h["action"] for h in detail["history"]]
    assert actions[0] == "status"
    assert "advanced" in actions
    assert "scored" in actions
    assert all(h["actor"] and h["reason"] and h["at"] for h in detail["history"])
    assert detail["status"] == "accepted"
    assert detail["rank"] == 2

    export = await api.get(f"/cohorts/{cohort.cohort_code}/ranking.csv", headers=bearer(MANAGER))
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert [r["application_id"] for r in rows] == [ids[1], ids[0], ids[2], ids[3]]
    assert [r["rank"] for r in rows] == ["1", "2", "3", ""]
    assert rows[0]["final_score"] == "80.50"


async def test_a_threshold_rejects_with_the_reason_and_top_k_caps_who_advances(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    stages = [
        {
            "code": DOC,
            "name_ko": "서류평가",
            "name_en": "Documents",
            "weight": 40,
            "min_reviewers": 1,
            "pass_threshold": 50,
            "advance_top_k": 1,
            "criteria": [{"code": "technology", "name_ko": "기술", "name_en": "Tech", "weight": 1}],
        },
        {
            "code": PRES,
            "name_ko": "발표평가",
            "name_en": "Pitch",
            "weight": 60,
            "min_reviewers": 1,
            "criteria": [{"code": "hub-fit", "name_ko": "적합", "name_en": "Fit", "weight": 1}],
        },
    ]
    cohort = await make_cohort(review_stages=stages)
    ids = [(await submit(api, submission(cohort, n)))["application_id"] for n in range(3)]
    assigned = (await assign(api, cohort.cohort_code, DOC))["assigned"]
    scores = dict(zip(ids, [40, 70, 90], strict=True))
    for pair in assigned:
        response = await api.put(
            f"/applications/{pair['application_id']}/stages/{DOC}/scores",
            json={"scores": {"technology": scores[pair["application_id"]]}},
            headers=bearer(reviewer_account(pair["reviewer_id"])),
        )
        assert response.status_code == 200, response.text
    outcomes = (
        await api.post(
            f"/cohorts/{cohort.cohort_code}/stages/{DOC}/advance",
            json={"reason": "서류평가 마감"},
            headers=bearer(ADMIN),
        )
    ).json()
    by_id = {o["application_id"]: o for o in outcomes}
    assert [by_id[i]["passed"] for i in ids] == [False, False, True]
    assert "below the threshold 50" in by_id[ids[0]]["reason"]
    assert "outside the best 1" in by_id[ids[1]]["reason"]
    rejected = (await outbox_events(applications_pool, ids[0]))[-1]
    assert rejected["type"] == "application.rejected"
    assert rejected["reason"].startswith("서류평가 마감: ")
    # The rejected one is out of review: scoring it again is an illegal transition.
    again = await api.put(
        f"/applications/{ids[0]}/stages/{DOC}/scores",
        json={"scores": {"technology": 99}},
        headers=bearer(
            reviewer_account(
                next(p["reviewer_id"] for p in assigned if p["application_id"] == ids[0])
            )
        ),
    )
    assert again.status_code == 409
    assert "rejected" in again.json()["detail"]


async def test_withdrawal_at_any_stage_publishes_and_a_second_one_is_refused(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    app_id = (await submit(api, submission(cohort, 1)))["application_id"]
    first = await api.post(
        f"/applications/{app_id}/withdrawal",
        json={"reason": "The founder asked by e-mail"},
        headers=bearer(MANAGER),
    )
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "withdrawn"
    withdrawn = (await outbox_events(applications_pool, app_id))[-1]
    assert withdrawn["type"] == "application.withdrawn"
    assert withdrawn["withdrawn_by"] == "pm@hub.example"
    second = await api.post(
        f"/applications/{app_id}/withdrawal", json={"reason": "again"}, headers=bearer(MANAGER)
    )
    assert second.status_code == 409
    assert "withdrawn cannot become withdrawn" in second.json()["detail"]


async def test_bulk_decisions_are_all_or_nothing_and_ranks_are_unique(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    ids = [(await submit(api, submission(cohort, n)))["application_id"] for n in range(3)]
    ok = await api.post(
        "/applications/decisions",
        json={
            "reason": "committee",
            "decisions": [{"application_id": ids[0], "outcome": "accepted", "rank": 1}],
        },
        headers=bearer(MANAGER),
    )
    assert ok.status_code == 200, ok.text
    clash = await api.post(
        "/applications/decisions",
        json={
            "reason": "committee",
            "decisions": [
                {"application_id": ids[1], "outcome": "rejected"},
                {"application_id": ids[2], "outcome": "accepted", "rank": 1},
            ],
        },
        headers=bearer(MANAGER),
    )
    assert clash.status_code == 409
    assert "rank 1" in clash.json()["detail"]
    # Nothing of the refused batch was recorded.
    detail = (await api.get(f"/applications/{ids[1]}", headers=bearer(MANAGER))).json()
    assert detail["status"] == "received"


async def test_a_manager_advances_one_application_by_hand_with_a_reason(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    scored, unscored = [
        (await submit(api, submission(cohort, n)))["application_id"] for n in range(2)
    ]
    path = f"/applications/{scored}/advance"
    early = await api.post(path, json={"reason": "appeal"}, headers=bearer(MANAGER))
    assert early.status_code == 409
    assert "fewer than 2 scored reviews" in early.json()["detail"]
    assigned = (await assign(api, cohort.cohort_code, DOC))["assigned"]
    await score_all(api, [p for p in assigned if p["application_id"] == scored], DOC, {scored: 55})
    moved = await api.post(path, json={"reason": "appeal upheld"}, headers=bearer(MANAGER))
    assert moved.status_code == 200, moved.text
    assert moved.json()["stage_code"] == PRES
    event = (await outbox_events(applications_pool, scored))[-1]
    assert event["type"] == "application.advanced"
    assert (event["from_stage"], event["to_stage"], event["stage_score"]) == (DOC, PRES, 55.0)
    last = await api.post(path, json={"reason": "again"}, headers=bearer(MANAGER))
    assert last.status_code == 409
    assert "last review stage" in last.json()["detail"]
    # The other is still in the first stage, so the cohort cannot be selected yet.
    selection = await api.post(
        f"/cohorts/{cohort.cohort_code}/selection", json={"reason": "r"}, headers=bearer(MANAGER)
    )
    assert selection.status_code == 409
    assert "earlier stage" in selection.json()["detail"]
    detail = (await api.get(f"/applications/{unscored}", headers=bearer(MANAGER))).json()
    assert detail["stage_code"] == DOC


async def test_two_committees_racing_for_one_rank_get_one_answer_each(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    ids = [(await submit(api, submission(cohort, n)))["application_id"] for n in range(4)]

    async def give_rank_one(app_id: str) -> int:
        response = await api.post(
            "/applications/decisions",
            json={
                "reason": "committee",
                "decisions": [{"application_id": app_id, "outcome": "accepted", "rank": 1}],
            },
            headers=bearer(MANAGER),
        )
        return response.status_code

    codes = await asyncio.gather(*(give_rank_one(a) for a in ids))
    assert sorted(codes) == [200, 409, 409, 409]


async def test_the_ranking_before_selection_breaks_ties_as_the_selection_will(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    def stage(code: str, criterion: str) -> dict[str, Any]:
        return {
            "code": code,
            "name_ko": code,
            "name_en": code,
            "weight": 50,
            "min_reviewers": 1,
            "criteria": [{"code": criterion, "name_ko": "c", "name_en": "c", "weight": 1}],
        }

    cohort = await make_cohort(
        seats=1, review_stages=[stage(DOC, "technology"), stage(PRES, "hub-fit")]
    )
    earlier, later = [
        (await submit(api, submission(cohort, n)))["application_id"] for n in range(2)
    ]
    # Equal final scores (70); the later submission is better in the later stage.
    for code, criterion, scores in (
        (DOC, "technology", {earlier: 80, later: 60}),
        (PRES, "hub-fit", {earlier: 60, later: 80}),
    ):
        for pair in (await assign(api, cohort.cohort_code, code))["assigned"]:
            response = await api.put(
                f"/applications/{pair['application_id']}/stages/{code}/scores",
                json={"scores": {criterion: scores[pair["application_id"]]}},
                headers=bearer(reviewer_account(pair["reviewer_id"])),
            )
            assert response.status_code == 200, response.text
        if code == DOC:
            advanced = await api.post(
                f"/cohorts/{cohort.cohort_code}/stages/{DOC}/advance",
                json={"reason": "documents done"},
                headers=bearer(MANAGER),
            )
            assert advanced.status_code == 200, advanced.text
    preview = await api.get(f"/cohorts/{cohort.cohort_code}/ranking", headers=bearer(MANAGER))
    assert [(r["id"], r["final_score"]) for r in preview.json()] == [(later, 70.0), (earlier, 70.0)]
    selected = await api.post(
        f"/cohorts/{cohort.cohort_code}/selection",
        json={"reason": "committee", "reserve": 0},
        headers=bearer(MANAGER),
    )
    assert [(o["application_id"], o["rank"]) for o in selected.json()] == [
        (later, 1),
        (earlier, None),
    ]


async def test_racing_requests_on_one_application_have_one_effect(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    data = submission(cohort, 1)
    receipts = await asyncio.gather(*(submit(api, data) for _ in range(4)))
    assert all(r == receipts[0] for r in receipts)  # one application, the same receipt
    app = receipts[0]["application_id"]
    requests = [
        api.post(f"/applications/{app}/withdrawal", json={"reason": "asked"}, headers=bearer(ADMIN))
        for _ in range(3)
    ] + [
        api.post(
            f"/applications/{app}/decision",
            json={"outcome": "rejected", "reason": "weak"},
            headers=bearer(ADMIN),
        )
        for _ in range(3)
    ]
    codes = sorted(r.status_code for r in await asyncio.gather(*requests))
    assert codes == [200, 409, 409, 409, 409, 409]
    kinds = [e["type"] for e in await outbox_events(applications_pool, app)]
    assert kinds.count("application.received") == 1
    assert kinds.count("application.withdrawn") + kinds.count("application.rejected") == 1
    listed = await api.get(
        "/applications", params={"cohort_code": cohort.cohort_code}, headers=bearer(ADMIN)
    )
    assert listed.headers["X-Total-Count"] == "1"
