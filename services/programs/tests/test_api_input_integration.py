"""The staff HTTP API on the real Postgres: the answers to bad input (422 with the field's
location, 404 for what cannot exist), never a crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.programs.tests.support import ADMIN, PM_CV, cohort_body, program_body, stage_body

pytestmark = pytest.mark.integration


#: A stage weighing 60 alone: the stage weights do not sum to 100.
ONE_STAGE_OF_60 = {
    "code": "only",
    "name_ko": "서류",
    "name_en": "Docs",
    "weight": 60,
    "criteria": [{"code": "tech", "name_ko": "기술", "name_en": "Tech", "weight": 1}],
}


async def test_bad_input_is_refused_with_reasons(api: httpx.AsyncClient) -> None:
    assert (await api.post("/programs", json=program_body(), headers=ADMIN)).status_code == 201
    bad = await api.post(
        "/programs/cv-batch/cohorts",
        json=cohort_body(
            code="Bad Code",
            seats=-1,
            review_stages=[ONE_STAGE_OF_60],
        ),
        headers=ADMIN,
    )
    assert bad.status_code == 422
    locations = {tuple(e["loc"]) for e in bad.json()["detail"]}
    assert ("body", "code") in locations
    assert ("body", "seats") in locations
    weights = await api.post(
        "/programs/cv-batch/cohorts",
        json=cohort_body(review_stages=[ONE_STAGE_OF_60]),
        headers=ADMIN,
    )
    assert weights.status_code == 422
    [problem] = weights.json()["detail"]
    assert problem["loc"] == ["body", "review_stages"]
    assert "sum to 100" in problem["msg"]
    window = cohort_body(application_closes_at="2020-01-01T00:00:00+00:00")
    assert (
        await api.post("/programs/cv-batch/cohorts", json=window, headers=ADMIN)
    ).status_code == 422
    unknown_field = await api.post("/programs", json=program_body("p2", capacity=3), headers=ADMIN)
    assert unknown_field.status_code == 422
    # Unknown targets.
    assert (await api.get("/cohorts/nope", headers=ADMIN)).status_code == 404
    assert (await api.get("/programs/nope", headers=ADMIN)).status_code == 404
    body = program_body()
    del body["code"]
    assert (await api.put("/programs/nope", json=body, headers=ADMIN)).status_code == 404
    missing = await api.post("/programs/nope/cohorts", json=cohort_body("x-1"), headers=ADMIN)
    assert missing.status_code == 404
    update = cohort_body()
    del update["code"]
    assert (await api.put("/cohorts/nope", json=update, headers=ADMIN)).status_code == 404
    # Taken codes.
    assert (
        await api.post("/programs/cv-batch/cohorts", json=cohort_body(), headers=ADMIN)
    ).status_code == 201
    taken = await api.post("/programs/cv-batch/cohorts", json=cohort_body(), headers=ADMIN)
    assert taken.status_code == 409


async def test_hostile_path_parameters_are_refused_not_crashed_on(
    api: httpx.AsyncClient,
) -> None:
    assert (await api.post("/programs", json=program_body(), headers=ADMIN)).status_code == 201
    update = cohort_body()
    del update["code"]
    body = program_body()
    del body["code"]
    for hostile in ("nul%00byte", "x" * 5000, "line%0Abreak"):
        answers = [
            await api.get(f"/programs/{hostile}", headers=ADMIN),
            await api.put(f"/programs/{hostile}", json=body, headers=ADMIN),
            await api.post(f"/programs/{hostile}/cohorts", json=cohort_body("x-1"), headers=ADMIN),
            await api.get(f"/cohorts/{hostile}", headers=ADMIN),
            await api.put(f"/cohorts/{hostile}", json=update, headers=ADMIN),
            await api.get(f"/cohorts/{hostile}/outcomes", headers=ADMIN),
            await api.post(
                f"/enrollments/{hostile}/cancellation", json={"reason": "x"}, headers=ADMIN
            ),
            await api.post(f"/enrollments/{hostile}/agreement", headers=ADMIN),
        ]
        for answer in answers:
            assert answer.status_code in (404, 422), (hostile[:20], answer.request.url.path[:40])


async def test_criterion_codes_are_unique_within_a_stage(api: httpx.AsyncClient) -> None:
    assert (await api.post("/programs", json=program_body(), headers=ADMIN)).status_code == 201
    twice = cohort_body(review_stages=[stage_body("docs", 100, ["tech", "tech"])])
    refused = await api.post("/programs/cv-batch/cohorts", json=twice, headers=ADMIN)
    assert refused.status_code == 422
    [problem] = refused.json()["detail"]
    assert problem["loc"] == ["body", "review_stages", 0, "criteria"]
    assert "criterion codes must be unique within a stage" in problem["msg"]
    # The same criterion code in two stages is fine.
    both = cohort_body(
        review_stages=[stage_body("docs", 30, ["tech"]), stage_body("pitch", 70, ["tech"])]
    )
    assert (
        await api.post("/programs/cv-batch/cohorts", json=both, headers=ADMIN)
    ).status_code == 201


async def test_dates_out_of_any_real_calendar_are_refused(api: httpx.AsyncClient) -> None:
    """Year 1 or 9999 is valid ISO 8601 but not a cohort: it overflows when converted to UTC
    (here, or in Seoul time downstream), so it is a 422, not a 500."""
    assert (await api.post("/programs", json=program_body(), headers=ADMIN)).status_code == 201
    for field, value in (
        ("application_opens_at", "0001-01-01T00:00:00+14:00"),
        ("application_closes_at", "9999-12-31T23:00:00-14:00"),
        ("starts_on", "0001-01-01"),
        ("ends_on", "9999-12-31"),
    ):
        body = {**cohort_body(), field: value}
        answer = await api.post("/programs/cv-batch/cohorts", json=body, headers=ADMIN)
        assert answer.status_code == 422, (field, answer.text)
        assert ("body", field) in {tuple(e["loc"][:2]) for e in answer.json()["detail"]}


async def test_unknown_fields_anywhere_in_a_body_are_refused(api: httpx.AsyncClient) -> None:
    """A typo such as `requried` in a question would otherwise be dropped in silence (and the
    question stay required): nested parts of a body are as strict as the body itself."""
    manager = {"name": "PM", "email": "pm@hub.example", "locale": "en", "phone": "010"}
    refused = await api.post(
        "/programs", json=program_body(program_managers=[manager]), headers=ADMIN
    )
    assert refused.status_code == 422
    assert ("body", "program_managers", 0, "phone") in {
        tuple(e["loc"]) for e in refused.json()["detail"]
    }
    assert (await api.post("/programs", json=program_body(), headers=ADMIN)).status_code == 201
    stage = stage_body("docs", 100, ["tech"])
    criterion = stage["criteria"][0]
    typos = [
        ("questions", [{"key": "k", "label_ko": "질문", "label_en": "Q", "requried": False}]),
        ("review_stages", [{**stage, "pass_treshold": 50}]),
        ("review_stages", [{**stage, "criteria": [{**criterion, "wieght": 2}]}]),
    ]
    for field, value in typos:
        answer = await api.post(
            "/programs/cv-batch/cohorts", json={**cohort_body(), field: value}, headers=ADMIN
        )
        assert answer.status_code == 422, (field, value)
        assert answer.json()["detail"][0]["loc"][:2] == ["body", field]


async def test_huge_and_blank_values_are_refused(api: httpx.AsyncClient) -> None:
    assert (await api.post("/programs", json=program_body(), headers=ADMIN)).status_code == 201
    stage = {**stage_body("docs", 100, ["tech"]), "advance_top_k": 10**30}
    huge = await api.post(
        "/programs/cv-batch/cohorts", json=cohort_body(review_stages=[stage]), headers=ADMIN
    )
    assert huge.status_code == 422
    assert huge.json()["detail"][0]["loc"] == ["body", "review_stages", 0, "advance_top_k"]
    for reason in ("", " \n\t "):
        blank = await api.post(
            "/enrollments/a/cancellation", json={"reason": reason}, headers=ADMIN
        )
        assert blank.status_code == 422, reason
        assert blank.json()["detail"][0]["loc"] == ["body", "reason"]


async def test_one_cohort_code_twice_in_one_body_is_a_422(api: httpx.AsyncClient) -> None:
    body = program_body(cohorts=[cohort_body(), cohort_body(seats=9)])
    refused = await api.post("/programs", json=body, headers=ADMIN)
    assert refused.status_code == 422
    assert "cohort codes must be unique" in refused.text
    assert (await api.get("/programs/cv-batch", headers=ADMIN)).status_code == 404


async def test_the_scoring_shape_is_fixed_once_the_window_opened(api: httpx.AsyncClient) -> None:
    """Before the window opens a manager may reshape the rubric; once it has opened (scores may
    exist in applications), losing a criterion is refused at its field, and the rest of the
    stage's settings still change."""
    assert (await api.post("/programs", json=program_body(), headers=ADMIN)).status_code == 201
    later = datetime.now(UTC) + timedelta(days=10)
    stages = [stage_body("docs", 30, ["tech", "market"]), stage_body("pitch", 70, ["team"])]
    future = cohort_body(
        review_stages=stages,
        application_opens_at=later.isoformat(),
        application_closes_at=(later + timedelta(days=30)).isoformat(),
    )
    created = await api.post("/programs/cv-batch/cohorts", json=future, headers=PM_CV)
    assert created.status_code == 201, created.text
    del future["code"]
    reshaped = {**future, "review_stages": [stage_body("docs", 100, ["tech"])]}
    assert (await api.put("/cohorts/cv-2027-1", json=reshaped, headers=PM_CV)).status_code == 200
    opened = {**future, "application_opens_at": datetime.now(UTC).isoformat()}
    opened["review_stages"] = [stage_body("docs", 100, ["tech", "market"])]
    assert (await api.put("/cohorts/cv-2027-1", json=opened, headers=PM_CV)).status_code == 200

    lost = {**opened, "review_stages": [stage_body("docs", 100, ["tech"])]}
    refused = await api.put("/cohorts/cv-2027-1", json=lost, headers=PM_CV)
    assert refused.status_code == 422
    [problem] = refused.json()["detail"]
    assert problem["loc"] == ["body", "review_stages", 0, "criteria"]
    assert "market" in problem["msg"]
    assert "application window opened" in problem["msg"]
    stage = {**stage_body("docs", 100, ["tech", "market"]), "min_reviewers": 3, "blind": True}
    stage["criteria"][0]["cutoff"] = 40
    tuned = {**opened, "review_stages": [stage]}
    assert (await api.put("/cohorts/cv-2027-1", json=tuned, headers=PM_CV)).status_code == 200
    seen = (await api.get("/cohorts/cv-2027-1", headers=PM_CV)).json()["review_stages"][0]
    assert (seen["min_reviewers"], seen["blind"], seen["criteria"][0]["cutoff"]) == (3, True, 40)
