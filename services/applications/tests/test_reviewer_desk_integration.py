"""A reviewer's own desk: `GET /reviews/mine` (pending and done, due dates, names of program and
stage in both languages, their own weighted score, a declared conflict, closed stages), one
application as its reviewer sees it, and the weighted score previewed with the stage's one rule
before saving. Nobody reads another reviewer's desk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.applications.tests.support import (
    ADMIN,
    MANAGER,
    OPS,
    CohortFactory,
    bearer,
    locations,
    reviewer_account,
    submission,
    submit,
)

pytestmark = pytest.mark.integration

DOC = "document-review"
ANN = reviewer_account("desk-ann@hub.example")
BEN = reviewer_account("desk-ben@hub.example")
CAL = reviewer_account("desk-cal@hub.example")
SCORES = {"technology": 90, "market": 70, "team": 60}  # weights 40/30/30 → 75.0


async def assigned_application(
    api: httpx.AsyncClient, make_cohort: CohortFactory, due_at: datetime | None = None
) -> tuple[Any, str]:
    cohort = await make_cohort()
    app = (await submit(api, submission(cohort, 1)))["application_id"]
    body: dict[str, Any] = {
        "reviewers": [{"id": r.email, "name": r.email.split("@")[0]} for r in (ANN, BEN, CAL)],
        "per_application": 2,
    }
    if due_at is not None:
        body["due_at"] = due_at.isoformat()
    assigned = await api.post(
        f"/cohorts/{cohort.cohort_code}/stages/{DOC}/assignments", json=body, headers=bearer(ADMIN)
    )
    assert assigned.status_code == 200, assigned.text
    assert {p["reviewer_id"] for p in assigned.json()["assigned"]} == {ANN.email, BEN.email}
    return cohort, app


async def mine(api: httpx.AsyncClient, who: Any, **params: str) -> list[dict[str, Any]]:
    answer = await api.get("/reviews/mine", params=params, headers=bearer(who))
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


async def test_my_reviews_from_pending_to_done(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    cohort, app = await assigned_application(api, make_cohort, due)

    (pending,) = await mine(api, ANN, application_id=app)
    assert pending["pending"] is True
    assert pending["stage_open"] is True
    assert (pending["stage_code"], pending["stage_name"]) == (
        DOC,
        {"ko": "서류평가", "en": "Document review"},
    )
    assert pending["program_name"] == {"ko": "사이버밸리 배치", "en": "Cyber Valley batch"}
    assert pending["cohort_code"] == cohort.cohort_code
    assert datetime.fromisoformat(pending["due_at"]) == due
    assert (pending["scored_at"], pending["review_score"], pending["conflict_reason"]) == (
        None,
        None,
        None,
    )

    scored = await api.put(
        f"/applications/{app}/stages/{DOC}/scores",
        json={"scores": SCORES, "comment": "solid"},
        headers=bearer(ANN),
    )
    assert scored.status_code == 200, scored.text
    (done,) = await mine(api, ANN, application_id=app)
    assert (done["pending"], done["stage_open"], done["review_score"]) == (False, True, 75.0)
    assert done["scored_at"] is not None

    recused = await api.post(
        f"/applications/{app}/stages/{DOC}/conflict",
        json={"reason": "I advised this startup"},
        headers=bearer(BEN),
    )
    assert recused.json() == {"replacement": CAL.email}
    (stepped_aside,) = await mine(api, BEN, application_id=app)
    assert stepped_aside["conflict_reason"] == "I advised this startup"
    assert stepped_aside["pending"] is False

    # Each reviewer sees only their own assignments.
    assert [r["application_id"] for r in await mine(api, CAL, application_id=app)] == [app]
    assert all(r["application_id"] != app for r in await mine(api, MANAGER))

    rejected = await api.post(
        f"/applications/{app}/decision",
        json={"outcome": "rejected", "reason": "out of scope"},
        headers=bearer(ADMIN),
    )
    assert rejected.status_code == 200, rejected.text
    (closed,) = await mine(api, CAL, application_id=app)
    assert (closed["stage_open"], closed["pending"]) == (False, False)


async def test_ops_has_no_review_desk(api: httpx.AsyncClient) -> None:
    assert (await api.get("/reviews/mine", headers=bearer(OPS))).status_code == 403
    assert (await api.get("/reviews/mine")).status_code == 401


async def test_the_sheet_shows_answers_rubric_and_saved_scores_to_its_reviewer_only(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    _, app = await assigned_application(api, make_cohort)
    path = f"/applications/{app}/stages/{DOC}/review"

    sheet = (await api.get(path, headers=bearer(ANN))).json()
    assert [(c["code"], c["weight"]) for c in sheet["criteria"]] == [
        ("technology", 40),
        ("market", 30),
        ("team", 30),
    ]
    assert sheet["criteria"][0]["name"] == {"ko": "기술성", "en": "Technology"}
    assert sheet["answers"] == [
        {
            "key": "why_now",
            "question": {"ko": "왜 지금인가요?", "en": "Why now?"},
            "answer": "Pilots finished.",
        }
    ]
    assert sheet["startup"]["name"] == "Startup 1"
    assert "founder1@" not in str(sheet)  # the contact person stays with the managers
    assert (sheet["scores"], sheet["review"]["pending"]) == (None, True)

    await api.put(
        f"/applications/{app}/stages/{DOC}/scores",
        json={"scores": SCORES, "comment": "solid"},
        headers=bearer(ANN),
    )
    saved = (await api.get(path, headers=bearer(ANN))).json()
    assert (saved["scores"], saved["comment"]) == (SCORES, "solid")

    assert (await api.get(path, headers=bearer(CAL))).status_code == 403  # in the pool only
    assert (await api.get(path, headers=bearer(MANAGER))).status_code == 403
    unknown = f"/applications/{app}/stages/no-such-stage/review"
    assert (await api.get(unknown, headers=bearer(ANN))).status_code == 403
    nobody = "/applications/00000000-0000-4000-8000-000000000000/stages/document-review/review"
    assert (await api.get(nobody, headers=bearer(ANN))).status_code == 404

    # Once recused, the reviewer's sheet keeps their reason and no longer the application.
    await api.post(
        f"/applications/{app}/stages/{DOC}/conflict",
        json={"reason": "former colleague"},
        headers=bearer(BEN),
    )
    recused = (await api.get(path, headers=bearer(BEN))).json()
    assert recused["review"]["conflict_reason"] == "former colleague"
    assert (recused["answers"], recused["startup"]["name"]) == ([], None)


async def test_the_preview_uses_the_stages_rule_and_records_nothing(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    _, app = await assigned_application(api, make_cohort)
    preview = f"/applications/{app}/stages/{DOC}/scores/preview"

    answer = await api.post(preview, json={"scores": SCORES}, headers=bearer(ANN))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"review_score": 75.0}
    (still,) = await mine(api, ANN, application_id=app)
    assert (still["scored_at"], still["pending"]) == (None, True)

    incomplete = await api.post(
        preview, json={"scores": {"technology": 90, "market": 70}}, headers=bearer(ANN)
    )
    assert locations(incomplete) == [["body", "scores", "team"]]
    too_high = await api.post(
        preview, json={"scores": {**SCORES, "team": 101}}, headers=bearer(ANN)
    )
    assert ["body", "scores", "team"] in locations(too_high)
    assert (
        await api.post(preview, json={"scores": SCORES}, headers=bearer(CAL))
    ).status_code == 403

    await api.post(
        f"/applications/{app}/decision",
        json={"outcome": "rejected", "reason": "out of scope"},
        headers=bearer(ADMIN),
    )
    closed = await api.post(preview, json={"scores": SCORES}, headers=bearer(ANN))
    assert closed.status_code == 409
    assert "not in review" in closed.json()["detail"]
