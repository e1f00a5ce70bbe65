"""The selection rules over HTTP on the real Postgres: a cohort with a trimmed mean and a
criterion cut-off in the document review, calibration in the presentation review and capped
bonus points goes from scores to selection; the ranking and its CSV show the dropped scores,
raw and calibrated side by side, the spread, the bonus and the cut-off failure."""

from __future__ import annotations

import csv
import io
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
    outbox_events_keyed,
    reviewer_account,
    submission,
    submit,
)

pytestmark = pytest.mark.integration

DOC, PRES = "document-review", "presentation-review"
DOC_REVIEWERS = ["r1@hub.example", "r2@hub.example", "r3@hub.example"]
PRES_REVIEWERS = ["harsh@hub.example", "lenient@hub.example"]
STAGES = [
    {
        "code": DOC,
        "name_ko": "서류평가",
        "name_en": "Documents",
        "weight": 40,
        "min_reviewers": 3,
        "trim_extremes_from": 3,
        "criteria": [
            {
                "code": "technology",
                "name_ko": "기술성",
                "name_en": "Tech",
                "weight": 1,
                "cutoff": 40,
            },
            {"code": "market", "name_ko": "시장성", "name_en": "Market", "weight": 1},
        ],
    },
    {
        "code": PRES,
        "name_ko": "발표평가",
        "name_en": "Pitch",
        "weight": 60,
        "min_reviewers": 2,
        "calibration": "z-score",
        "criteria": [{"code": "pitch", "name_ko": "발표", "name_en": "Pitch", "weight": 1}],
    },
]
BONUS = [
    {"code": "youth-founder", "name_ko": "청년 창업자", "name_en": "Young founder", "points": 1},
    {"code": "women-owned", "name_ko": "여성 기업", "name_en": "Women-owned", "points": 1},
    {"code": "seoul-based", "name_ko": "서울 소재", "name_en": "Based in Seoul", "points": 0.5},
]


async def assign_all(api: httpx.AsyncClient, cohort: str, stage: str, reviewers: list[str]) -> None:
    response = await api.post(
        f"/cohorts/{cohort}/stages/{stage}/assignments",
        json={"reviewers": [{"id": r, "name": r[:2]} for r in reviewers]},
        headers=bearer(MANAGER),
    )
    assert response.status_code == 200, response.text
    assert response.json()["short_of_reviewers"] == []


async def score(
    api: httpx.AsyncClient, app: str, stage: str, reviewer: str, scores: dict[str, int]
) -> None:
    response = await api.put(
        f"/applications/{app}/stages/{stage}/scores",
        json={"scores": scores},
        headers=bearer(reviewer_account(reviewer)),
    )
    assert response.status_code == 200, response.text


async def bonus(
    api: httpx.AsyncClient, app: str, item: str, *, revoke: bool = False
) -> httpx.Response:
    path = f"/applications/{app}/bonus-points/{item}"
    body = {"reason": "checked against the business registration certificate"}
    if revoke:
        return await api.post(path + "/revocation", json=body, headers=bearer(MANAGER))
    return await api.put(path, json=body, headers=bearer(MANAGER))


async def ranking(api: httpx.AsyncClient, cohort: str) -> dict[str, dict[str, Any]]:
    response = await api.get(f"/cohorts/{cohort}/ranking", headers=bearer(MANAGER))
    assert response.status_code == 200, response.text
    return {line["id"]: line for line in response.json()}


def _decisions(answer: httpx.Response) -> list[dict[str, Any]]:
    """What an advance, a selection or its preview decided, best first (without the name)."""
    fields = ("application_id", "passed", "score", "reason", "rank")
    return [{key: o[key] for key in fields} for o in answer.json()]


async def test_a_cohort_with_every_rule_from_scores_to_selection(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort(seats=1, review_stages=STAGES, bonus_items=BONUS, bonus_cap=2)
    code = cohort.cohort_code
    a, b, c = [(await submit(api, submission(cohort, n)))["application_id"] for n in range(3)]

    await assign_all(api, code, DOC, DOC_REVIEWERS)
    doc = {
        a: {"r1@hub.example": 90, "r2@hub.example": 80, "r3@hub.example": 20},
        c: {"r1@hub.example": 70, "r2@hub.example": 60, "r3@hub.example": 50},
    }
    for app, by_reviewer in doc.items():
        for reviewer, value in by_reviewer.items():
            await score(api, app, DOC, reviewer, {"technology": value, "market": value})
    for reviewer in DOC_REVIEWERS:  # b: 65 a review, but technology 30 < its cut-off 40
        await score(api, b, DOC, reviewer, {"technology": 30, "market": 100})

    lines = await ranking(api, code)
    # a: 90, 80, 20 -> the lowest and the highest go: 80 (the plain mean would be 63.33)
    assert lines[a]["stage_scores"] == {DOC: 80.0}
    assert lines[a]["stage_details"][DOC] == {
        "raw_score": 80.0,
        "calibrated_score": None,
        "dropped_reviewers": ["r3@hub.example", "r1@hub.example"],
        "spread": 70.0,
        "criterion_averages": {"technology": 80.0, "market": 80.0},
        "reviews": 3,
    }
    assert lines[b]["stage_scores"] == {DOC: 65.0}
    assert lines[b]["cutoff_failures"] == [
        "document-review: technology average 30.00 is below the cut-off 40"
    ]
    assert lines[a]["cutoff_failures"] == []

    preview = await api.get(
        f"/cohorts/{code}/stages/{DOC}/advance/preview", headers=bearer(MANAGER)
    )
    assert preview.status_code == 200, preview.text
    advanced = await api.post(
        f"/cohorts/{code}/stages/{DOC}/advance",
        json={"reason": "서류평가 마감"},
        headers=bearer(MANAGER),
    )
    assert advanced.status_code == 200, advanced.text
    assert _decisions(preview) == _decisions(advanced)  # the preview plans with the same rules
    outcomes = {o["application_id"]: o for o in advanced.json()}
    assert (outcomes[a]["passed"], outcomes[c]["passed"], outcomes[b]["passed"]) == (
        True,
        True,
        False,
    )
    # Second by score (65 > 60), still out: the cut-off decides whatever the rank.
    assert "technology average 30.00 is below the cut-off 40" in outcomes[b]["reason"]

    # 가점: granted with a reason, once; the sum capped at 2; taken back with a reason.
    for item in ("youth-founder", "women-owned", "seoul-based", "youth-founder"):
        granted = await bonus(api, c, item)
        assert granted.status_code == 200, granted.text
    assert granted.json() == {
        "granted": ["seoul-based", "women-owned", "youth-founder"],
        "total": 2.0,  # 2.5, capped
    }
    unknown = await bonus(api, c, "veteran")
    assert unknown.status_code == 404
    assert "youth-founder" in unknown.json()["detail"]
    out_of_review = await bonus(api, b, "youth-founder")
    assert out_of_review.status_code == 409
    revoked = await bonus(api, c, "women-owned", revoke=True)
    assert revoked.json() == {"granted": ["seoul-based", "youth-founder"], "total": 1.5}
    read = await api.get(f"/applications/{c}/bonus-points", headers=bearer(MANAGER))
    assert read.status_code == 200, read.text
    assert read.json()["total"] == 1.5
    assert [(g["item_code"], g["reason"], g["granted_by"]) for g in read.json()["granted"]] == [
        (item, "checked against the business registration certificate", MANAGER.email)
        for item in ("seoul-based", "youth-founder")
    ]
    events = [e for e in await outbox_events(applications_pool, c) if "item_code" in e]
    assert [(e["type"], e["item_code"], e["total"]) for e in events] == [
        ("bonus_points.granted", "youth-founder", 1.0),
        ("bonus_points.granted", "women-owned", 2.0),
        ("bonus_points.granted", "seoul-based", 2.0),
        ("bonus_points.revoked", "women-owned", 1.5),
    ]
    history = (await api.get(f"/applications/{c}", headers=bearer(ADMIN))).json()["history"]
    assert [h["action"] for h in history if h["action"].startswith("bonus_")] == [
        "bonus_granted",
        "bonus_granted",
        "bonus_granted",
        "bonus_revoked",
    ]

    # Presentation, calibrated: harsh gives a 50, c 40 (mean 45, sd 5 -> 60, 40); lenient
    # a 100, c 90 (mean 95, sd 5 -> 60, 40). Raw a 75, c 65; calibrated a 60, c 40.
    await assign_all(api, code, PRES, PRES_REVIEWERS)
    for app, harsh, lenient in ((a, 50, 100), (c, 40, 90)):
        await score(api, app, PRES, "harsh@hub.example", {"pitch": harsh})
        await score(api, app, PRES, "lenient@hub.example", {"pitch": lenient})
    lines = await ranking(api, code)
    assert lines[c]["stage_details"][PRES]["raw_score"] == 65.0
    assert lines[c]["stage_details"][PRES]["calibrated_score"] == 40.0
    assert lines[c]["stage_scores"] == {DOC: 60.0, PRES: 40.0}
    # final = 0.4 doc + 0.6 presentation + bonus: a 32 + 36 = 68; c 24 + 24 + 1.5 = 49.5
    assert (lines[a]["final_score"], lines[c]["final_score"]) == (68.0, 49.5)
    assert lines[c]["bonus_points"] == 1.5

    preview = await api.get(f"/cohorts/{code}/selection/preview", headers=bearer(MANAGER))
    assert preview.status_code == 200, preview.text
    selected = await api.post(
        f"/cohorts/{code}/selection", json={"reason": "선정위원회"}, headers=bearer(MANAGER)
    )
    assert selected.status_code == 200, selected.text
    assert _decisions(preview) == _decisions(selected)  # bonus points included
    decided = {o["application_id"]: (o["rank"], o["score"]) for o in selected.json()}
    assert decided == {a: (1, 68.0), c: (2, 49.5)}

    export = await api.get(f"/cohorts/{code}/ranking.csv", headers=bearer(MANAGER))
    rows = {r["application_id"]: r for r in csv.DictReader(io.StringIO(export.text[1:]))}
    assert rows[a][f"dropped_{DOC}"] == "r3@hub.example r1@hub.example"
    assert (rows[c][f"raw_{PRES}"], rows[c][f"calibrated_{PRES}"]) == ("65.00", "40.00")
    assert rows[c]["bonus_points"] == "1.50"
    assert rows[c]["final_score"] == "49.50"
    assert "technology average 30.00" in rows[b]["cutoff_failures"]


async def test_a_reviewer_scores_only_after_accepting_the_pledge_once(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    stages = [{**STAGES[0], "pledge_required": True, "min_reviewers": 1}, STAGES[1]]
    cohort = await make_cohort(review_stages=stages)
    code = cohort.cohort_code
    app = (await submit(api, submission(cohort, 1)))["application_id"]
    reviewer = DOC_REVIEWERS[0]
    await assign_all(api, code, DOC, [reviewer])
    values = {"technology": 70, "market": 70}

    refused = await api.put(
        f"/applications/{app}/stages/{DOC}/scores",
        json={"scores": values},
        headers=bearer(reviewer_account(reviewer)),
    )
    assert refused.status_code == 409
    assert "has not accepted the reviewer pledge" in refused.json()["detail"]
    preview = f"/applications/{app}/stages/{DOC}/scores/preview"
    previewed = await api.post(
        preview, json={"scores": values}, headers=bearer(reviewer_account(reviewer))
    )
    assert previewed.status_code == 409  # the preview refuses as the saving does
    assert "has not accepted the reviewer pledge" in previewed.json()["detail"]
    sheet = f"/applications/{app}/stages/{DOC}/review"
    unpledged = (await api.get(sheet, headers=bearer(reviewer_account(reviewer)))).json()
    assert (unpledged["pledge_required"], unpledged["pledge_accepted_at"]) == (True, None)
    path = f"/cohorts/{code}/stages/{DOC}/pledge"
    before = await api.get(path, headers=bearer(reviewer_account(reviewer)))
    assert before.status_code == 200, before.text
    assert before.json()["required"] is True
    assert before.json()["accepted_at"] is None
    assert "이해관계" in before.json()["text"]["ko"]

    first = await api.post(path, headers=bearer(reviewer_account(reviewer)))
    again = await api.post(path, headers=bearer(reviewer_account(reviewer)))
    assert first.status_code == again.status_code == 200
    assert first.json()["accepted_at"] == again.json()["accepted_at"] is not None
    pledged_sheet = (await api.get(sheet, headers=bearer(reviewer_account(reviewer)))).json()
    assert pledged_sheet["pledge_accepted_at"] == first.json()["accepted_at"]
    previewed = await api.post(
        preview, json={"scores": values}, headers=bearer(reviewer_account(reviewer))
    )
    assert previewed.status_code == 200, previewed.text
    await score(api, app, DOC, reviewer, values)

    pledged = [
        e
        for e in await outbox_events_keyed(applications_pool, code)
        if e["type"] == "review.pledged"
    ]
    assert [(e["reviewer"]["id"], e["stage_code"], e["pledge_version"]) for e in pledged] == [
        (reviewer, DOC, "2026-1")
    ]
    history = (await api.get(f"/applications/{app}", headers=bearer(ADMIN))).json()["history"]
    assert "scored" in [h["action"] for h in history]


async def test_a_challenged_reviewer_does_not_count_while_open_and_is_replaced_when_upheld(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    stages = [{**STAGES[0], "min_reviewers": 2, "trim_extremes_from": None}, STAGES[1]]
    cohort = await make_cohort(review_stages=stages)
    code = cohort.cohort_code
    app = (await submit(api, submission(cohort, 1)))["application_id"]
    r1, r2, r3 = DOC_REVIEWERS
    assigned = await api.post(
        f"/cohorts/{code}/stages/{DOC}/assignments",
        json={"reviewers": [{"id": r, "name": r[:2]} for r in DOC_REVIEWERS], "per_application": 2},
        headers=bearer(MANAGER),
    )
    assert {a["reviewer_id"] for a in assigned.json()["assigned"]} == {r1, r2}
    await score(api, app, DOC, r1, {"technology": 90, "market": 90})
    await score(api, app, DOC, r2, {"technology": 50, "market": 50})
    assert (await ranking(api, code))[app]["stage_scores"] == {DOC: 70.0}

    async def challenge(reviewer: str) -> httpx.Response:
        return await api.post(
            f"/applications/{app}/stages/{DOC}/challenges",
            json={"reviewer_id": reviewer, "reason": "advises a competitor"},
            headers=bearer(MANAGER),
        )

    async def decide(challenge_id: str, outcome: str) -> httpx.Response:
        return await api.post(
            f"/challenges/{challenge_id}/decision",
            json={"outcome": outcome, "reason": "checked the advisory contract"},
            headers=bearer(MANAGER),
        )

    assert (await challenge("nobody@hub.example")).status_code == 404
    first = (await challenge(r1)).json()
    assert first["status"] == "open"
    assert (await challenge(r1)).status_code == 409  # one open challenge per reviewer
    listed = await api.get(
        f"/cohorts/{code}/challenges", params={"status": "open"}, headers=bearer(MANAGER)
    )
    assert [
        (c["challenge_id"], c["application_id"], c["reviewer_id"], c["reason"], c["status"])
        for c in listed.json()
    ] == [(first["challenge_id"], app, r1, "advises a competitor", "open")]
    line = (await ranking(api, code))[app]
    assert line["stage_scores"] == {}  # r1 does not count: one review, two needed
    assert line["stage_details"][DOC]["reviews"] == 1
    dismissed = await decide(first["challenge_id"], "dismissed")
    assert dismissed.json() == {
        "challenge_id": first["challenge_id"],
        "status": "dismissed",
        "replacement": None,
    }
    assert (await decide(first["challenge_id"], "upheld")).status_code == 409
    assert (await ranking(api, code))[app]["stage_scores"] == {DOC: 70.0}

    second = (await challenge(r1)).json()
    upheld = (await decide(second["challenge_id"], "upheld")).json()
    assert (upheld["status"], upheld["replacement"]) == ("upheld", r3)
    refused = await api.put(
        f"/applications/{app}/stages/{DOC}/scores",
        json={"scores": {"technology": 99, "market": 99}},
        headers=bearer(reviewer_account(r1)),
    )
    assert refused.status_code == 409  # replaced, like after a declared conflict
    await score(api, app, DOC, r3, {"technology": 60, "market": 60})
    assert (await ranking(api, code))[app]["stage_scores"] == {DOC: 55.0}  # (50 + 60) / 2

    events = await outbox_events(applications_pool, app)
    every = await api.get(
        f"/cohorts/{code}/challenges", params={"application_id": app}, headers=bearer(MANAGER)
    )
    assert [(c["status"], c["decision_reason"]) for c in every.json()] == [
        ("dismissed", "checked the advisory contract"),
        ("upheld", "checked the advisory contract"),
    ]
    still_open = await api.get(
        f"/cohorts/{code}/challenges", params={"status": "open"}, headers=bearer(MANAGER)
    )
    assert still_open.json() == []
    assert [(e["type"], e["status"]) for e in events if "challenge_id" in e] == [
        ("review.challenged", "open"),
        ("review.challenge_decided", "dismissed"),
        ("review.challenged", "open"),
        ("review.challenge_decided", "upheld"),
    ]
    replaced = [e for e in events if e["type"] == "review.assigned" and e.get("replaces")]
    assert [(e["reviewer"]["id"], e["replaces"]["id"]) for e in replaced] == [(r3, r1)]


async def test_a_stage_closes_only_with_its_share_of_external_reviewers(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    stages = [{**STAGES[0], "min_reviewers": 1, "min_external_share": 0.5}, STAGES[1]]
    cohort = await make_cohort(review_stages=stages)
    code = cohort.cohort_code
    app = (await submit(api, submission(cohort, 1)))["application_id"]
    inside, outside = DOC_REVIEWERS[0], "professor@university.example"
    await assign_all(api, code, DOC, [inside])
    await score(api, app, DOC, inside, {"technology": 70, "market": 70})

    async def close() -> httpx.Response:
        return await api.post(
            f"/cohorts/{code}/stages/{DOC}/advance",
            json={"reason": "서류평가 마감"},
            headers=bearer(MANAGER),
        )

    async def panel() -> dict[str, Any]:
        checked = await api.get(f"/cohorts/{code}/stages/{DOC}/panel", headers=bearer(MANAGER))
        assert checked.status_code == 200, checked.text
        answer: dict[str, Any] = checked.json()
        return answer

    assert await panel() == {
        "stage_code": DOC,
        "reviewers": 1,
        "external": 0,
        "share": 0.0,
        "min_external_share": 0.5,
        "satisfied": False,
    }
    refused = await close()
    assert refused.status_code == 409
    assert "0 of 1 reviewers are external (0%)" in refused.json()["detail"]
    preview = await api.get(
        f"/cohorts/{code}/stages/{DOC}/advance/preview", headers=bearer(MANAGER)
    )
    assert preview.status_code == 409  # the preview refuses as the advance does
    assert preview.json()["detail"] == refused.json()["detail"]

    added = await api.post(
        f"/cohorts/{code}/stages/{DOC}/assignments",
        json={
            "reviewers": [{"id": outside, "name": "Prof", "external": True}],
            "per_application": 2,
        },
        headers=bearer(MANAGER),
    )
    assert added.json()["assigned"] == [{"application_id": app, "reviewer_id": outside}]
    await score(api, app, DOC, outside, {"technology": 80, "market": 80})
    figures = await panel()
    assert (figures["reviewers"], figures["external"], figures["satisfied"]) == (2, 1, True)
    pool = await api.get(f"/cohorts/{code}/stages/{DOC}/reviewers", headers=bearer(MANAGER))
    assert {r["reviewer_id"]: r["external"] for r in pool.json()} == {
        inside: False,
        outside: True,
    }
    advanced = await close()
    assert advanced.status_code == 200, advanced.text
    assert advanced.json()[0]["passed"]
