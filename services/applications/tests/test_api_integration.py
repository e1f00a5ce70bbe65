"""The HTTP API's answers: who may do what (the matrix), 401/403/404/409/422 with reasons, and the
HTTP submission door with the same rules and idempotency as Kafka intake."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi.routing import APIRoute

from aihub_applications.entrypoints.app import definition
from aihub_local.stack import StackEndpoints
from aihub_shared.contracts.programs import CohortPublished, default_review_stages
from services.applications.tests.support import (
    ADMIN,
    MANAGER,
    OPS,
    OTHER_MANAGER,
    OTHER_PROGRAM,
    CohortFactory,
    bearer,
    locations,
    outbox_events,
    outbox_events_keyed,
    reviewer_account,
    service_settings,
    submission,
    submit,
)

pytestmark = pytest.mark.integration

ASSIGNED = "assigned@hub.example"
STRANGER = "stranger@hub.example"
DOC = "document-review"
YOUTH = {"code": "youth-founder", "name_ko": "청년 창업자", "name_en": "Young founder", "points": 1}


@dataclass
class World:
    cohort: CohortPublished
    application_id: str
    #: An open challenge (기피 신청) of the assigned reviewer, for the decision's row.
    challenge_id: str
    #: An open appeal (이의제기) of a rejection in another cohort of the program.
    appeal_id: str


@pytest.fixture
async def world(api: httpx.AsyncClient, make_cohort: CohortFactory) -> World:
    cohort = await make_cohort(bonus_items=[YOUTH])
    application_id = (await submit(api, submission(cohort, 1)))["application_id"]
    response = await api.post(
        f"/cohorts/{cohort.cohort_code}/stages/{DOC}/assignments",
        json={"reviewers": [{"id": ASSIGNED, "name": "A"}], "per_application": 2},
        headers=bearer(ADMIN),
    )
    assert response.status_code == 200, response.text
    challenged = await api.post(
        f"/applications/{application_id}/stages/{DOC}/challenges",
        json={"reviewer_id": ASSIGNED, "reason": "advises a competitor"},
        headers=bearer(ADMIN),
    )
    assert challenged.status_code == 200, challenged.text
    return World(
        cohort,
        application_id,
        challenged.json()["challenge_id"],
        await _open_appeal(api, make_cohort),
    )


async def _open_appeal(api: httpx.AsyncClient, make_cohort: CohortFactory) -> str:
    stages = [
        s.model_dump() | {"appeal_window_days": 7, "appeal_disclosure": "score"}
        for s in default_review_stages()
    ]
    cohort = await make_cohort(review_stages=stages)
    rejected = (await submit(api, submission(cohort, 3)))["application_id"]
    decided = await api.post(
        f"/applications/{rejected}/decision",
        json={"outcome": "rejected", "reason": "outside the call's scope"},
        headers=bearer(ADMIN),
    )
    assert decided.status_code == 200, decided.text
    appealed = await api.post(
        f"/applications/{rejected}/appeals",
        json={"reason": "the startup works on AI for logistics", "disclose": True},
        headers=bearer(ADMIN),
    )
    assert appealed.status_code == 200, appealed.text
    return str(appealed.json()["appeal_id"])


TOKENS = {
    "admin": ADMIN,
    "manager": MANAGER,
    "other_manager": OTHER_MANAGER,
    "assigned_reviewer": reviewer_account(ASSIGNED),
    "other_reviewer": reviewer_account(STRANGER),
    "ops": OPS,
}


#: Every route of the service, by the name the matrix uses (a test checks none is missing).
ROUTES: dict[str, tuple[str, str]] = {
    "list": ("GET", "/applications"),
    "read": ("GET", "/applications/{application_id}"),
    "decide": ("POST", "/applications/{application_id}/decision"),
    "bulk": ("POST", "/applications/decisions"),
    "withdraw": ("POST", "/applications/{application_id}/withdrawal"),
    "score": ("PUT", "/applications/{application_id}/stages/{stage_code}/scores"),
    "conflict": ("POST", "/applications/{application_id}/stages/{stage_code}/conflict"),
    "my_reviews": ("GET", "/reviews/mine"),
    "sheet": ("GET", "/applications/{application_id}/stages/{stage_code}/review"),
    "preview": ("POST", "/applications/{application_id}/stages/{stage_code}/scores/preview"),
    "assign": ("POST", "/cohorts/{cohort_code}/stages/{stage_code}/assignments"),
    "advance": ("POST", "/cohorts/{cohort_code}/stages/{stage_code}/advance"),
    "advance_one": ("POST", "/applications/{application_id}/advance"),
    "select": ("POST", "/cohorts/{cohort_code}/selection"),
    "ranking": ("GET", "/cohorts/{cohort_code}/ranking"),
    "ranking_csv": ("GET", "/cohorts/{cohort_code}/ranking.csv"),
    "pipeline": ("GET", "/cohorts/{cohort_code}/pipeline"),
    "reviewers": ("GET", "/cohorts/{cohort_code}/stages/{stage_code}/reviewers"),
    "advance_preview": ("GET", "/cohorts/{cohort_code}/stages/{stage_code}/advance/preview"),
    "selection_preview": ("GET", "/cohorts/{cohort_code}/selection/preview"),
    "cohorts": ("GET", "/cohorts"),
    "submit": ("POST", "/intake/applications"),
    "erase": ("POST", "/privacy/erasures"),
    "erasure": ("GET", "/privacy/erasures/{request_id}"),
    "export": ("POST", "/privacy/exports"),
    "bonus": ("PUT", "/applications/{application_id}/bonus-points/{item_code}"),
    "bonus_revoke": ("POST", "/applications/{application_id}/bonus-points/{item_code}/revocation"),
    "pledge_read": ("GET", "/cohorts/{cohort_code}/stages/{stage_code}/pledge"),
    "pledge": ("POST", "/cohorts/{cohort_code}/stages/{stage_code}/pledge"),
    "challenge": ("POST", "/applications/{application_id}/stages/{stage_code}/challenges"),
    "challenge_decide": ("POST", "/challenges/{challenge_id}/decision"),
    "challenges": ("GET", "/cohorts/{cohort_code}/challenges"),
    "bonus_read": ("GET", "/applications/{application_id}/bonus-points"),
    "panel": ("GET", "/cohorts/{cohort_code}/stages/{stage_code}/panel"),
    "appeal": ("POST", "/applications/{application_id}/appeals"),
    "appeals": ("GET", "/applications/{application_id}/appeals"),
    "appeal_decide": ("POST", "/appeals/{appeal_id}/decision"),
    "disclosure": ("GET", "/applications/{application_id}/stages/{stage_code}/disclosure"),
    "cohort_appeals": ("GET", "/cohorts/{cohort_code}/appeals"),
}


def request_for(action: str, w: World) -> tuple[str, str, dict[str, Any] | None]:
    app = w.application_id
    bodies: dict[str, dict[str, Any]] = {
        "decide": {"outcome": "rejected", "reason": "r"},
        "bulk": {"reason": "r", "decisions": [{"application_id": app, "outcome": "rejected"}]},
        "withdraw": {"reason": "asked"},
        "score": {"scores": {"technology": 70, "market": 70, "team": 70}},
        "conflict": {"reason": "advisor"},
        "preview": {"scores": {"technology": 70, "market": 70, "team": 70}},
        "assign": {},
        "advance": {"reason": "r"},
        "advance_one": {"reason": "appeal"},
        "select": {"reason": "r"},
        "submit": submission(w.cohort, 2),
        # Nobody has this address: an admin's request is taken and erases nothing.
        "erase": {"request_id": f"matrix-{uuid.uuid4().hex}", "email": "nobody@matrix.example"},
        "export": {"application_ids": [app]},
        "bonus": {"reason": "founder born 1995"},
        "bonus_revoke": {"reason": "granted by mistake"},
        "challenge": {"reviewer_id": ASSIGNED, "reason": "advises a competitor"},
        "challenge_decide": {"outcome": "dismissed", "reason": "no tie found"},
        "appeal": {"reason": "the reviewers missed our patent"},
        "appeal_decide": {"outcome": "dismissed", "reason": "the scope is as published"},
    }
    method, template = ROUTES[action]
    path = template.format(
        application_id=app,
        cohort_code=w.cohort.cohort_code,
        stage_code=DOC,
        request_id="matrix-never-asked",
        item_code=YOUTH["code"],
        challenge_id=w.challenge_id,
        appeal_id=w.appeal_id,
    )
    return method, path, bodies.get(action)


MANAGERS_ONLY = {
    "admin": 200,
    "manager": 200,
    "other_manager": 403,
    "assigned_reviewer": 403,
    "other_reviewer": 403,
    "ops": 403,
}

# Expected status per action and caller. 409 on advancing and selecting: allowed, but the stage
# lacks scores (selection: the application is still in the first stage).
MATRIX: dict[str, dict[str, int]] = {
    "list": dict.fromkeys(
        ["admin", "manager", "other_manager", "assigned_reviewer", "other_reviewer"], 200
    )
    | {"ops": 403},
    "read": {
        "admin": 200,
        "manager": 200,
        "other_manager": 403,
        "assigned_reviewer": 200,
        "other_reviewer": 403,
        "ops": 403,
    },
    "decide": {
        "admin": 200,
        "manager": 200,
        "other_manager": 403,
        "assigned_reviewer": 403,
        "other_reviewer": 403,
        "ops": 403,
    },
    "bulk": {
        "admin": 200,
        "manager": 200,
        "other_manager": 403,
        "assigned_reviewer": 403,
        "other_reviewer": 403,
        "ops": 403,
    },
    "withdraw": {
        "admin": 200,
        "manager": 200,
        "other_manager": 403,
        "assigned_reviewer": 403,
        "other_reviewer": 403,
        "ops": 200,
    },
    "score": {
        "admin": 403,
        "manager": 403,
        "other_manager": 403,
        "assigned_reviewer": 200,
        "other_reviewer": 403,
        "ops": 403,
    },
    "conflict": {
        "admin": 403,
        "manager": 403,
        "other_manager": 403,
        "assigned_reviewer": 200,
        "other_reviewer": 403,
        "ops": 403,
    },
    # A reviewer's own desk: anyone who may review has one (empty unless assigned).
    "my_reviews": dict.fromkeys(
        ["admin", "manager", "other_manager", "assigned_reviewer", "other_reviewer"], 200
    )
    | {"ops": 403},
    # One application as its reviewer sees it, and the score preview: its reviewer only.
    "sheet": dict.fromkeys(TOKENS, 403) | {"assigned_reviewer": 200},
    "preview": dict.fromkeys(TOKENS, 403) | {"assigned_reviewer": 200},
    "assign": {
        "admin": 200,
        "manager": 200,
        "other_manager": 403,
        "assigned_reviewer": 403,
        "other_reviewer": 403,
        "ops": 403,
    },
    "advance": {
        "admin": 409,
        "manager": 409,
        "other_manager": 403,
        "assigned_reviewer": 403,
        "other_reviewer": 403,
        "ops": 403,
    },
    "advance_one": {
        "admin": 409,
        "manager": 409,
        "other_manager": 403,
        "assigned_reviewer": 403,
        "other_reviewer": 403,
        "ops": 403,
    },
    "select": {
        "admin": 409,
        "manager": 409,
        "other_manager": 403,
        "assigned_reviewer": 403,
        "other_reviewer": 403,
        "ops": 403,
    },
    "ranking": {
        "admin": 200,
        "manager": 200,
        "other_manager": 403,
        "assigned_reviewer": 403,
        "other_reviewer": 403,
        "ops": 403,
    },
    "ranking_csv": {
        "admin": 200,
        "manager": 200,
        "other_manager": 403,
        "assigned_reviewer": 403,
        "other_reviewer": 403,
        "ops": 403,
    },
    # A cohort's standing and the previews of closing a stage: its managers only (the
    # previews are 409 like the advance and the selection: the stage lacks scores).
    "pipeline": MANAGERS_ONLY,
    "reviewers": MANAGERS_ONLY,
    # What the console shows of the selection rules: the cohort's managers only.
    "challenges": MANAGERS_ONLY,
    "bonus_read": MANAGERS_ONLY,
    "panel": MANAGERS_ONLY,
    "cohort_appeals": MANAGERS_ONLY,
    "advance_preview": MANAGERS_ONLY | {"admin": 409, "manager": 409},
    "selection_preview": MANAGERS_ONLY | {"admin": 409, "manager": 409},
    # The replica of the public catalog (windows, questions, rubric): any staff member.
    "cohorts": dict.fromkeys(TOKENS, 200),
    "submit": {
        "admin": 200,
        "manager": 403,
        "other_manager": 403,
        "assigned_reviewer": 403,
        "other_reviewer": 403,
        "ops": 200,
    },
    # Personal-data requests: admins only (404: no such request of theirs).
    "erase": dict.fromkeys(TOKENS, 403) | {"admin": 200},
    "erasure": dict.fromkeys(TOKENS, 403) | {"admin": 404},
    "export": dict.fromkeys(TOKENS, 403) | {"admin": 200},
    "bonus": {
        "admin": 200,
        "manager": 200,
        "other_manager": 403,
        "assigned_reviewer": 403,
        "other_reviewer": 403,
        "ops": 403,
    },
    # Only a reviewer of the stage's pool reads and accepts its pledge.
    "pledge_read": {
        "admin": 403,
        "manager": 403,
        "other_manager": 403,
        "assigned_reviewer": 200,
        "other_reviewer": 403,
        "ops": 403,
    },
    "pledge": {
        "admin": 403,
        "manager": 403,
        "other_manager": 403,
        "assigned_reviewer": 200,
        "other_reviewer": 403,
        "ops": 403,
    },
    # 409: allowed, but the world already has an open challenge of that reviewer.
    "challenge": {
        "admin": 409,
        "manager": 409,
        "other_manager": 403,
        "assigned_reviewer": 403,
        "other_reviewer": 403,
        "ops": 403,
    },
    "challenge_decide": {
        "admin": 200,
        "manager": 200,
        "other_manager": 403,
        "assigned_reviewer": 403,
        "other_reviewer": 403,
        "ops": 403,
    },
    "bonus_revoke": {
        "admin": 200,
        "manager": 200,
        "other_manager": 403,
        "assigned_reviewer": 403,
        "other_reviewer": 403,
        "ops": 403,
    },
    # Appeals: the program's managers only. 409: allowed, but the world's application is in
    # review, not rejected.
    "appeal": MANAGERS_ONLY | {"admin": 409, "manager": 409},
    "appeals": MANAGERS_ONLY,
    "appeal_decide": MANAGERS_ONLY,
    "disclosure": MANAGERS_ONLY,
}
CASES = [(action, caller, code) for action, row in MATRIX.items() for caller, code in row.items()]


def test_the_matrix_covers_every_route_and_every_caller(local_stack: StackEndpoints) -> None:
    served = {
        (method, route.path_format)
        for router in definition(service_settings()).routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert served == set(ROUTES.values())
    assert set(MATRIX) == set(ROUTES)
    assert all(set(row) == set(TOKENS) for row in MATRIX.values())


@pytest.mark.parametrize(("action", "caller", "expected"), CASES)
async def test_authorization_matrix(
    api: httpx.AsyncClient, world: World, action: str, caller: str, expected: int
) -> None:
    method, path, body = request_for(action, world)
    before = (await api.get(f"/applications/{world.application_id}", headers=bearer(ADMIN))).json()
    response = await api.request(method, path, json=body, headers=bearer(TOKENS[caller]))
    assert response.status_code == expected, response.text
    if expected == 403:
        assert response.json()["detail"]  # always a reason
        # ... and nothing happened: no status, stage, review or history change.
        after = await api.get(f"/applications/{world.application_id}", headers=bearer(ADMIN))
        assert after.json() == before


@pytest.mark.parametrize("action", sorted(MATRIX))
async def test_no_token_or_a_forged_one_is_401(
    api: httpx.AsyncClient, world: World, action: str
) -> None:
    method, path, body = request_for(action, world)
    assert (await api.request(method, path, json=body)).status_code == 401
    forged = bearer(ADMIN.token()[:-4] + "AAAA")
    assert (await api.request(method, path, json=body, headers=forged)).status_code == 401


async def test_lists_are_limited_to_own_programs_and_assignments(
    api: httpx.AsyncClient, world: World
) -> None:
    params = {"cohort_code": world.cohort.cohort_code}
    mine = await api.get("/applications", params=params, headers=bearer(MANAGER))
    assert [a["id"] for a in mine.json()] == [world.application_id]
    assert mine.headers["X-Total-Count"] == "1"
    for caller in ("other_manager", "other_reviewer"):
        listed = await api.get("/applications", params=params, headers=bearer(TOKENS[caller]))
        assert listed.json() == []
    assigned = await api.get(
        "/applications", params=params, headers=bearer(TOKENS["assigned_reviewer"])
    )
    assert [a["id"] for a in assigned.json()] == [world.application_id]


async def test_pagination(api: httpx.AsyncClient, make_cohort: CohortFactory) -> None:
    cohort = await make_cohort()
    ids = [(await submit(api, submission(cohort, n)))["application_id"] for n in range(5)]
    pages = []
    for offset in (0, 2, 4):
        page = await api.get(
            "/applications",
            params={"cohort_code": cohort.cohort_code, "limit": 2, "offset": offset},
            headers=bearer(ADMIN),
        )
        assert page.headers["X-Total-Count"] == "5"
        pages += [a["id"] for a in page.json()]
    assert pages == ids
    found = await api.get(
        "/applications",
        params={"cohort_code": cohort.cohort_code, "q": "startup 3"},
        headers=bearer(ADMIN),
    )
    assert [a["id"] for a in found.json()] == [ids[3]]
    wildcard = await api.get(
        "/applications", params={"cohort_code": cohort.cohort_code, "q": "%"}, headers=bearer(ADMIN)
    )
    assert wildcard.json() == []  # searched literally


async def test_unknown_ids_are_404(api: httpx.AsyncClient, world: World) -> None:
    nobody = str(uuid.uuid4())
    admin = bearer(ADMIN)
    assert (await api.get(f"/applications/{nobody}", headers=admin)).status_code == 404
    decided = await api.post(
        f"/applications/{nobody}/decision",
        json={"outcome": "rejected", "reason": "r"},
        headers=admin,
    )
    assert decided.status_code == 404
    assert nobody in decided.json()["detail"]
    assigned = await api.post(
        "/cohorts/no-such-cohort/stages/x-1/assignments", json={}, headers=admin
    )
    assert assigned.status_code == 404
    stage = await api.post(
        f"/cohorts/{world.cohort.cohort_code}/stages/no-such-stage/assignments",
        json={},
        headers=admin,
    )
    assert stage.status_code == 404
    assert "no review stage no-such-stage" in stage.json()["detail"]
    ranking = await api.get("/cohorts/no-such-cohort/ranking.csv", headers=admin)
    assert ranking.status_code == 404


async def test_validation_errors_are_422_field_by_field(
    api: httpx.AsyncClient, world: World
) -> None:
    app = world.application_id
    reviewer = bearer(TOKENS["assigned_reviewer"])
    scores = await api.put(
        f"/applications/{app}/stages/{DOC}/scores",
        json={"scores": {"technology": 70, "market": 70, "bogus": 1}},
        headers=reviewer,
    )
    assert locations(scores) == [["body", "scores", "bogus"], ["body", "scores", "team"]]
    out_of_range = await api.put(
        f"/applications/{app}/stages/{DOC}/scores",
        json={"scores": {"technology": 170, "market": 70, "team": 1}},
        headers=reviewer,
    )
    assert ["body", "scores", "technology"] in locations(out_of_range)
    rank_on_reject = await api.post(
        f"/applications/{app}/decision",
        json={"outcome": "rejected", "reason": "r", "rank": 1},
        headers=bearer(ADMIN),
    )
    assert locations(rank_on_reject) == [["body"]]
    assert "only an acceptance carries a rank" in rank_on_reject.text
    no_reason = await api.post(
        f"/applications/{app}/decision", json={"outcome": "accepted"}, headers=bearer(ADMIN)
    )
    assert locations(no_reason) == [["body", "reason"]]
    no_such_path = await api.get("/applications/not-a-uuid", headers=bearer(ADMIN))
    assert no_such_path.status_code == 404  # only a UUID names an application
    bad_id = await api.post(
        "/applications/not-a-uuid/withdrawal", json={"reason": "r"}, headers=bearer(ADMIN)
    )
    assert locations(bad_id) == [["path", "application_id"]]
    hostile = submission(world.cohort, 3)
    hostile["contact"]["name"] = "Mallory\r\nBcc: all@example.com"
    hostile["startup"]["employees"] = "many"
    refused = await api.post("/intake/applications", json=hostile, headers=bearer(OPS))
    assert sorted(locations(refused)) == [
        ["body", "contact", "name"],
        ["body", "startup", "employees"],
    ]


async def test_an_illegal_transition_is_409_with_the_reason(
    api: httpx.AsyncClient, world: World
) -> None:
    path = f"/applications/{world.application_id}/decision"
    first = await api.post(
        path, json={"outcome": "rejected", "reason": "weak"}, headers=bearer(ADMIN)
    )
    assert first.status_code == 200
    again = await api.post(path, json={"outcome": "accepted", "reason": "x"}, headers=bearer(ADMIN))
    assert again.status_code == 409
    assert again.json()["detail"].startswith(
        "an application that is rejected cannot become accepted"
    )


async def test_http_submission_has_the_rules_and_idempotency_of_kafka_intake(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    data = submission(cohort, 7)
    first = await submit(api, data)
    assert first["outcome"] == "accepted"
    assert first["submitted_by"] == "/http/portal@hub.example"
    assert await submit(api, data) == first  # the same again: the same receipt, nothing new

    changed = {**data, "answers": {"why_now": "Something else"}}
    conflict = await submit(api, changed)
    assert conflict["outcome"] == "refused"
    assert [r["code"] for r in conflict["reasons"]] == ["conflicting_resubmission"]
    # Like every reason, in the applicant's language.
    in_korean = {**changed, "contact": {**data["contact"], "locale": "ko"}}
    (reason,) = (await submit(api, in_korean))["reasons"]
    assert reason["code"] == "conflicting_resubmission"
    assert reason["message"] == (
        f"제출 번호 {data['submission_id']}은(는) 이미 다른 내용으로 접수되었습니다"
        f" (신청 번호 {first['application_id']}). 새 제출 번호를 사용하세요."
    )

    duplicate = {**data, "submission_id": f"other-{uuid.uuid4().hex[:8]}"}
    dup = await submit(api, duplicate)
    assert [r["code"] for r in dup["reasons"]] == ["duplicate_business_registration"]
    assert first["application_id"] in dup["reasons"][0]["message"]

    korean = submission(
        cohort,
        8,
        answers={},
        contact={"name": "김민아", "email": "kim@startup.example", "locale": "ko"},
    )
    missing = await submit(api, korean)
    assert missing["outcome"] == "refused"
    assert missing["reasons"] == [
        {
            "code": "answer_missing",
            "message": "필수 질문에 답해야 합니다: 왜 지금인가요? (why_now)",
            "path": None,  # an eligibility rule, not a broken field
        }
    ]
    # Receipts also go to intake.receipts (keyed by submission id), as for Kafka submissions.
    receipts = await outbox_events_keyed(applications_pool, data["submission_id"])
    assert [e["type"] for e in receipts] == ["intake.receipt"] * 4
    stored = await api.get(
        "/applications", params={"cohort_code": cohort.cohort_code}, headers=bearer(ADMIN)
    )
    assert {a["status"] for a in stored.json()} == {"received", "ineligible"}
    assert len(stored.json()) == 3  # first, duplicate (ineligible), korean (ineligible)


async def test_a_bulk_decision_reaching_into_another_program_is_refused_whole(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    own = await make_cohort()
    foreign = await make_cohort(program_code=OTHER_PROGRAM, cohort_code=f"m-{uuid.uuid4().hex[:8]}")
    mine = (await submit(api, submission(own, 1)))["application_id"]
    theirs = (await submit(api, submission(foreign, 2)))["application_id"]
    response = await api.post(
        "/applications/decisions",
        json={
            "reason": "committee",
            "decisions": [
                {"application_id": mine, "outcome": "accepted", "rank": 1},
                {"application_id": theirs, "outcome": "rejected"},
            ],
        },
        headers=bearer(MANAGER),
    )
    assert response.status_code == 403
    assert OTHER_PROGRAM in response.json()["detail"]
    for app in (mine, theirs):
        detail = (await api.get(f"/applications/{app}", headers=bearer(ADMIN))).json()
        assert detail["status"] == "received"
        assert [e["type"] for e in await outbox_events(applications_pool, app)] == [
            "application.received",
            "intake.receipt",
        ]


async def test_an_ineligible_first_application_does_not_block_the_business(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    first = submission(cohort, 11, answers={"why_now": " \u200b "})
    refused = await submit(api, first)
    assert [r["code"] for r in refused["reasons"]] == ["answer_missing"]
    second = {**submission(cohort, 12), "startup": first["startup"]}
    accepted = await submit(api, second)
    assert accepted["outcome"] == "accepted"
    third = {**submission(cohort, 13), "startup": first["startup"]}
    (duplicate,) = (await submit(api, third))["reasons"]
    assert duplicate["code"] == "duplicate_business_registration"
    assert accepted["application_id"] in duplicate["message"]
    assert refused["application_id"] not in duplicate["message"]
