"""Blind review over HTTP on the real Postgres: a reviewer of a blind stage gets, from every
endpoint a reviewer calls, a whole response body with none of the startup's identifying values
(name, registration number, website, the founder's name and address, the submission's ids) —
not even in a reason a manager typed or a comment the reviewer wrote — and a stable anonymous
label instead: the application list and detail, and the reviewer's desk (`/reviews/mine`, the
review sheet, the score preview); a reviewer of an open stage and the managers see them."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from services.applications.tests.support import (
    MANAGER,
    CohortFactory,
    bearer,
    business_number,
    outbox_events,
    reviewer_account,
    submission,
    submit,
)

pytestmark = pytest.mark.integration

DOC, PRES = "document-review", "presentation-review"
BLIND_REVIEWER, RECUSING, OPEN_REVIEWER = (
    "blind-reader@hub.example",
    "recusing@hub.example",
    "pitch-reader@hub.example",
)


def stage(code: str, weight: int, *, blind: bool) -> dict[str, object]:
    return {
        "code": code,
        "name_ko": code,
        "name_en": code,
        "weight": weight,
        "min_reviewers": 1,
        "blind": blind,
        "criteria": [{"code": "overall", "name_ko": "종합", "name_en": "Overall", "weight": 1}],
    }


async def test_a_blind_reviewer_sees_no_identifying_value_anywhere(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort(
        review_stages=[stage(DOC, 40, blind=True), stage(PRES, 60, blind=False)]
    )
    sent = submission(
        cohort,
        1,
        startup={
            "name": "Zephyrine Robotics",
            "business_registration_number": business_number(424_242),
            "founded_on": "2023-05-02",
            "employees": 5,
            "website": "https://zephyrine-robotics.example",
            "ai_field": "vision",
        },
        contact={"name": "Hyeonjoo Baekgyeong", "email": "ceo@zephyrine.example", "locale": "ko"},
    )
    hidden = [
        "Zephyrine",
        sent["startup"]["business_registration_number"],
        "zephyrine-robotics.example",
        "Hyeonjoo",
        "Baekgyeong",
        "ceo@zephyrine.example",
        sent["submission_id"],
    ]
    app = (await submit(api, sent))["application_id"]
    manager = bearer(MANAGER)
    blind_reviewer = bearer(reviewer_account(BLIND_REVIEWER))

    assigned = await api.post(
        f"/cohorts/{cohort.cohort_code}/stages/{DOC}/assignments",
        json={
            "reviewers": [{"id": BLIND_REVIEWER, "name": "B"}, {"id": RECUSING, "name": "R"}],
            "per_application": 2,
        },
        headers=manager,
    )
    assert assigned.status_code == 200, assigned.text
    answers: list[httpx.Response] = []
    answers.append(
        await api.post(
            f"/applications/{app}/stages/{DOC}/conflict",
            json={"reason": "I know the founder"},
            headers=bearer(reviewer_account(RECUSING)),
        )
    )
    answers.append(
        await api.put(
            f"/applications/{app}/stages/{DOC}/scores",
            json={"scores": {"overall": 81}, "comment": "Zephyrine Robotics: solid pilots"},
            headers=blind_reviewer,
        )
    )
    desk = [
        await api.get("/reviews/mine", params={"application_id": app}, headers=blind_reviewer),
        await api.get(f"/applications/{app}/stages/{DOC}/review", headers=blind_reviewer),
        await api.post(
            f"/applications/{app}/stages/{DOC}/scores/preview",
            json={"scores": {"overall": 90}},
            headers=blind_reviewer,
        ),
    ]
    answers += desk
    # A manager's reason naming the startup reaches the reviewer's view of the history.
    advanced = await api.post(
        f"/cohorts/{cohort.cohort_code}/stages/{DOC}/advance",
        json={"reason": "Zephyrine Robotics and the others move on"},
        headers=manager,
    )
    assert advanced.status_code == 200, advanced.text
    answers.append(
        await api.get(
            "/applications", params={"cohort_code": cohort.cohort_code}, headers=blind_reviewer
        )
    )
    answers.append(await api.get(f"/applications/{app}", headers=blind_reviewer))
    answers.append(await api.get(f"/applications/{app}", headers=blind_reviewer))

    for answer in answers:
        assert answer.status_code == 200, answer.text
        leaked = [v for v in hidden if v.lower() in answer.text.lower()]
        assert leaked == [], (answer.request.url, leaked)
    listed, detail, again = answers[5].json()[0], answers[6].json(), answers[7].json()
    label = detail["anonymous_label"]
    assert label.startswith("지원서 ")
    assert listed["startup_name"] == detail["startup_name"] == again["startup_name"] == label
    (mine,), sheet = desk[0].json(), desk[1].json()
    assert mine["startup_name"] == mine["anonymous_label"] == label
    assert sheet["review"]["anonymous_label"] == sheet["startup"]["name"] == label
    assert sheet["startup"]["website"] is None
    assert sheet["comment"] == f"{label}: solid pilots"
    assert {a["key"]: a["answer"] for a in sheet["answers"]} == sent["answers"]
    assert desk[2].json()["review_score"] == 90.0
    assert label in next(h["reason"] for h in detail["history"] if h["action"] == "advanced")
    assert detail["submission"]["answers"] == sent["answers"]  # what it wrote stays readable

    searched = await api.get(
        "/applications",
        params={"cohort_code": cohort.cohort_code, "q": "Zephyrine"},
        headers=blind_reviewer,
    )
    assert searched.status_code == 403
    assert "blind" in searched.json()["detail"]

    # Controls: the managers and a reviewer of the open stage see who it is.
    assert (await api.get(f"/applications/{app}", headers=manager)).json()[
        "startup_name"
    ] == "Zephyrine Robotics"
    pitch = await api.post(
        f"/cohorts/{cohort.cohort_code}/stages/{PRES}/assignments",
        json={"reviewers": [{"id": OPEN_REVIEWER, "name": "P"}]},
        headers=manager,
    )
    assert pitch.status_code == 200, pitch.text
    open_reviewer = bearer(reviewer_account(OPEN_REVIEWER))
    seen = await api.get(f"/applications/{app}", headers=open_reviewer)
    assert seen.json()["startup_name"] == "Zephyrine Robotics"
    assert seen.json()["anonymous_label"] is None
    (open_desk,) = (
        await api.get("/reviews/mine", params={"application_id": app}, headers=open_reviewer)
    ).json()
    assert (open_desk["startup_name"], open_desk["anonymous_label"]) == ("Zephyrine Robotics", None)
    open_sheet = await api.get(f"/applications/{app}/stages/{PRES}/review", headers=open_reviewer)
    assert open_sheet.json()["startup"]["name"] == "Zephyrine Robotics"

    # The assignment events tell notifications which name the reviewer's mail may show.
    labels = {
        (e["stage_code"], e.get("anonymous_label"))
        for e in await outbox_events(applications_pool, app)
        if e["type"] == "review.assigned"
    }
    assert labels == {(DOC, label), (PRES, None)}
