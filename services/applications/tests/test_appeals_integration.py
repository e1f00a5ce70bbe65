"""Appeals (이의제기) over HTTP on the real Postgres: a rejection in the document review is
appealed with disclosure asked and upheld (the application passes to the presentation review as
a manual advance puts it there); a rejection at selection is appealed and dismissed; what is
refused (not rejected, twice, past the window, no appeals offered) says why; the disclosure
never names a reviewer nor carries one review's score."""

from __future__ import annotations

import uuid
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

DOC, PRES = "document-review", "presentation-review"
R1, R2 = "r1@hub.example", "r2@hub.example"
STAGES: list[dict[str, Any]] = [
    {
        "code": DOC,
        "name_ko": "서류평가",
        "name_en": "Documents",
        "weight": 50,
        "min_reviewers": 2,
        "cutoff_score": 60,
        "appeal_window_days": 7,
        "appeal_disclosure": "score_and_criteria",
        "criteria": [
            {"code": "technology", "name_ko": "기술성", "name_en": "Tech", "weight": 1},
            {"code": "market", "name_ko": "시장성", "name_en": "Market", "weight": 1},
        ],
    },
    {
        "code": PRES,
        "name_ko": "발표평가",
        "name_en": "Pitch",
        "weight": 50,
        "min_reviewers": 1,
        "appeal_window_days": 3,
        "criteria": [{"code": "pitch", "name_ko": "발표", "name_en": "Pitch", "weight": 1}],
    },
]
APPEAL = {"reason": "심사 점수 합산에 오류가 있습니다", "disclose": True}


async def _scored(
    api: httpx.AsyncClient, app: str, stage: str, scores: dict[str, dict[str, int]]
) -> None:
    for reviewer, given in scores.items():
        response = await api.put(
            f"/applications/{app}/stages/{stage}/scores",
            json={"scores": given},
            headers=bearer(reviewer_account(reviewer)),
        )
        assert response.status_code == 200, response.text


async def _post(api: httpx.AsyncClient, path: str, body: dict[str, Any]) -> httpx.Response:
    return await api.post(path, json=body, headers=bearer(MANAGER))


async def _application(api: httpx.AsyncClient, app: str) -> dict[str, Any]:
    response = await api.get(f"/applications/{app}", headers=bearer(MANAGER))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _cohort_in_presentation(
    api: httpx.AsyncClient, make_cohort: CohortFactory, **cohort: Any
) -> tuple[str, str, str]:
    """A cohort whose document review is closed: `strong` passed, `weak` (technology 40 and
    50, market 60 and 70: stage score 55, below the cut-off 60) was rejected."""
    published = await make_cohort(review_stages=STAGES, **cohort)
    code = published.cohort_code
    strong = (await submit(api, submission(published, 1)))["application_id"]
    weak = (await submit(api, submission(published, 2)))["application_id"]
    for stage, reviewers in ((DOC, [R1, R2]), (PRES, [R1])):
        assigned = await _post(
            api,
            f"/cohorts/{code}/stages/{stage}/assignments",
            {"reviewers": [{"id": r, "name": r[:2]} for r in reviewers]},
        )
        assert assigned.status_code == 200, assigned.text
        if stage == DOC:
            await _scored(api, strong, DOC, {r: {"technology": 80, "market": 80} for r in (R1, R2)})
            await _scored(
                api,
                weak,
                DOC,
                {R1: {"technology": 40, "market": 60}, R2: {"technology": 50, "market": 70}},
            )
            closed = await _post(api, f"/cohorts/{code}/stages/{DOC}/advance", {"reason": "마감"})
            assert closed.status_code == 200, closed.text
    return code, strong, weak


async def test_an_upheld_appeal_advances_the_application_as_a_manual_advance_does(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    code, strong, weak = await _cohort_in_presentation(api, make_cohort)
    assert (await _application(api, weak))["status"] == "rejected"

    not_rejected = await _post(api, f"/applications/{strong}/appeals", APPEAL)
    assert not_rejected.status_code == 409
    assert "only a rejected application can be appealed" in not_rejected.json()["detail"]

    state = (await api.get(f"/applications/{weak}/appeals", headers=bearer(MANAGER))).json()
    assert state["appeals"] == []
    assert state["appealable_until"] is not None

    filed = await _post(api, f"/applications/{weak}/appeals", APPEAL)
    assert filed.status_code == 200, filed.text
    appeal = filed.json()
    assert (appeal["status"], appeal["stage_code"], appeal["filed_by"]) == (
        "open",
        DOC,
        MANAGER.email,
    )
    # Told: the stage score (55 = mean of the review scores 50 and 60), the cut-off, and the
    # criteria's averages: technology (40 + 50) / 2 = 45, market (60 + 70) / 2 = 65.
    assert appeal["disclosure"] == {
        "stage_code": DOC,
        "level": "score_and_criteria",
        "stage_score": 55.0,
        "cutoff_score": 60.0,
        "criteria": [
            {
                "code": "technology",
                "name_ko": "기술성",
                "name_en": "Tech",
                "average": 45.0,
                "cutoff": None,
            },
            {
                "code": "market",
                "name_ko": "시장성",
                "name_en": "Market",
                "average": 65.0,
                "cutoff": None,
            },
        ],
    }
    disclosed = await api.get(
        f"/applications/{weak}/stages/{DOC}/disclosure", headers=bearer(MANAGER)
    )
    assert disclosed.json() == appeal["disclosure"]
    # The body above is all there is: no reviewer, no single review's score.
    assert R1 not in disclosed.text
    assert R2 not in disclosed.text

    twice = await _post(api, f"/applications/{weak}/appeals", APPEAL)
    assert twice.status_code == 409
    assert f"already appealed (appeal {appeal['appeal_id']})" in twice.json()["detail"]

    upheld = await _post(
        api,
        f"/appeals/{appeal['appeal_id']}/decision",
        {"outcome": "upheld", "reason": "합산 오류 확인"},
    )
    assert upheld.status_code == 200, upheld.text
    assert (upheld.json()["status"], upheld.json()["reinstated_to_stage"]) == ("upheld", PRES)
    again = await _post(
        api, f"/appeals/{appeal['appeal_id']}/decision", {"outcome": "dismissed", "reason": "x"}
    )
    assert again.status_code == 409

    reinstated = await _application(api, weak)
    assert (reinstated["status"], reinstated["stage_code"]) == ("received", PRES)
    actions = [h["action"] for h in reinstated["history"]]
    assert actions[-4:] == ["appealed", "reinstated", "advanced", "appeal_upheld"]
    # Back in the pool: assigned and scored in the presentation review like the others.
    assigned = await _post(
        api, f"/cohorts/{code}/stages/{PRES}/assignments", {"reviewers": [{"id": R1, "name": "r1"}]}
    )
    assert assigned.json()["assigned"] == [{"application_id": weak, "reviewer_id": R1}]
    await _scored(api, weak, PRES, {R1: {"pitch": 90}})

    events = await outbox_events(applications_pool, weak)
    appeal_events = [(e["type"], e["status"]) for e in events if "appeal_id" in e]
    assert appeal_events == [("appeal.filed", "open"), ("appeal.decided", "upheld")]
    decided = next(e for e in events if e["type"] == "appeal.decided")
    assert decided["disclosure"]["stage_score"] == 55.0
    assert "r1@hub.example" not in str(decided)
    advanced = [e for e in events if e["type"] == "application.advanced"]
    assert [(e["from_stage"], e["to_stage"]) for e in advanced] == [(DOC, PRES)]


async def test_a_dismissed_appeal_leaves_the_rejection_and_late_or_unoffered_ones_are_refused(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    _, strong, weak = await _cohort_in_presentation(api, make_cohort)
    filed = (await _post(api, f"/applications/{weak}/appeals", {"reason": "다시 봐 주세요"})).json()
    assert filed["disclosure"] is None  # not asked for
    dismissed = await _post(
        api,
        f"/appeals/{filed['appeal_id']}/decision",
        {"outcome": "dismissed", "reason": "점수 합산 재확인: 오류 없음"},
    )
    assert dismissed.status_code == 200, dismissed.text
    assert (dismissed.json()["status"], dismissed.json()["reinstated_to_stage"]) == (
        "dismissed",
        None,
    )
    assert (await _application(api, weak))["status"] == "rejected"
    state = (await api.get(f"/applications/{weak}/appeals", headers=bearer(MANAGER))).json()
    assert [a["status"] for a in state["appeals"]] == ["dismissed"]
    assert state["appealable_until"] is None  # this decision was appealed

    # Not selected in the last stage, four days ago: its window (3 days) has closed.
    rejected = await _post(
        api, f"/applications/{strong}/decision", {"outcome": "rejected", "reason": "좌석 부족"}
    )
    assert rejected.status_code == 200, rejected.text
    async with applications_pool.acquire() as conn:
        await conn.execute(
            "UPDATE application_history SET at = at - interval '4 days'"
            " WHERE application_id = $1 AND to_status = 'rejected'",
            strong,
        )
    late = await _post(api, f"/applications/{strong}/appeals", {"reason": "늦었지만"})
    assert late.status_code == 409
    assert "the appeal window of presentation-review closed" in late.json()["detail"]

    # A cohort whose stages offer no appeals keeps today's behaviour.
    plain = await make_cohort()
    app = (await submit(api, submission(plain, 1)))["application_id"]
    await _post(api, f"/applications/{app}/decision", {"outcome": "rejected", "reason": "범위 밖"})
    unoffered = await _post(api, f"/applications/{app}/appeals", {"reason": "이의 있습니다"})
    assert unoffered.status_code == 409
    assert "offers no appeals" in unoffered.json()["detail"]
    assert (
        await api.post(
            "/appeals/00000000-0000-4000-8000-000000000000/decision",
            json={"outcome": "upheld", "reason": "x"},
            headers=bearer(MANAGER),
        )
    ).status_code == 404


async def test_erasing_the_applicant_erases_their_appeals_words_and_keeps_the_outcome(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    _, _, weak = await _cohort_in_presentation(api, make_cohort)
    filed = await _post(api, f"/applications/{weak}/appeals", {"reason": "Hana's patent"})
    await _post(
        api,
        f"/appeals/{filed.json()['appeal_id']}/decision",
        {"outcome": "dismissed", "reason": "Hana's patent was read"},
    )
    erased = await api.post(
        "/privacy/erasures",
        json={"request_id": f"req-{uuid.uuid4().hex[:8]}", "application_ids": [weak]},
        headers=bearer(ADMIN),
    )
    assert erased.status_code == 200, erased.text
    (appeal,) = (await api.get(f"/applications/{weak}/appeals", headers=bearer(MANAGER))).json()[
        "appeals"
    ]
    assert (appeal["reason"], appeal["decision_reason"], appeal["status"]) == (
        "(erased)",
        "(erased)",
        "dismissed",
    )


async def test_an_appeal_upheld_after_the_selection_puts_it_back_in_the_selection_pool(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    code, strong, weak = await _cohort_in_presentation(api, make_cohort, seats=1)
    first = (await _post(api, f"/applications/{weak}/appeals", {"reason": "합산 오류"})).json()
    await _post(
        api, f"/appeals/{first['appeal_id']}/decision", {"outcome": "upheld", "reason": "ok"}
    )
    assigned = await _post(
        api, f"/cohorts/{code}/stages/{PRES}/assignments", {"reviewers": [{"id": R1, "name": "r1"}]}
    )
    assert assigned.status_code == 200, assigned.text
    await _scored(api, strong, PRES, {R1: {"pitch": 90}})
    await _scored(api, weak, PRES, {R1: {"pitch": 70}})
    selected = await _post(api, f"/cohorts/{code}/selection", {"reason": "선정", "reserve": 0})
    assert [(o["application_id"], o["rank"]) for o in selected.json()] == [
        (strong, 1),
        (weak, None),
    ]

    # Not selected is a new decision: appealed again, in the last stage's window.
    second = await _post(api, f"/applications/{weak}/appeals", {"reason": "발표 점수 재확인"})
    assert second.status_code == 200, second.text
    assert second.json()["stage_code"] == PRES
    upheld = await _post(
        api,
        f"/appeals/{second.json()['appeal_id']}/decision",
        {"outcome": "upheld", "reason": "ok"},
    )
    assert upheld.json()["reinstated_to_stage"] == PRES  # the last stage: back in its pool
    back = await _application(api, weak)
    assert (back["status"], back["stage_code"], back["rank"]) == ("received", PRES, None)

    # The committee selects again: the ranks continue after the seat already given.
    again = await _post(api, f"/cohorts/{code}/selection", {"reason": "재선정", "reserve": 1})
    assert [(o["application_id"], o["passed"], o["rank"]) for o in again.json()] == [
        (weak, True, 2)
    ]
    state = (await api.get(f"/applications/{weak}/appeals", headers=bearer(MANAGER))).json()
    assert [(a["stage_code"], a["status"]) for a in state["appeals"]] == [
        (DOC, "upheld"),
        (PRES, "upheld"),
    ]
