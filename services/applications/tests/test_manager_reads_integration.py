"""What a cohort's managers read to run it (the staff console's manager pages), on the real
Postgres: pipeline counts, the applications list's search and stage filter, each reviewer's
progress, the previews of advancing and selecting (the same rule as the real thing, changing
nothing), and the ranking in pages with the tie-break named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from services.applications.tests.support import (
    MANAGER,
    OTHER_MANAGER,
    CohortFactory,
    bearer,
    reviewer_account,
    submission,
    submit,
)
from services.applications.tests.test_review_api_integration import (
    DOC,
    PRES,
    REVIEWERS,
    assign,
    score_all,
)

pytestmark = pytest.mark.integration


def one_criterion_stage(code: str, weight: int, **rules: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name_ko": {DOC: "서류평가", PRES: "발표평가"}[code],
        "name_en": code,
        "weight": weight,
        "min_reviewers": 1,
        "criteria": [{"code": "fit", "name_ko": "적합성", "name_en": "Fit", "weight": 1}],
        **rules,
    }


async def get_json(api: httpx.AsyncClient, path: str, **params: Any) -> Any:
    response = await api.get(path, params=params, headers=bearer(MANAGER))
    assert response.status_code == 200, response.text
    return response.json()


async def score_one_each(
    api: httpx.AsyncClient, assigned: list[dict[str, str]], stage: str, by_app: dict[str, int]
) -> None:
    for pair in assigned:
        response = await api.put(
            f"/applications/{pair['application_id']}/stages/{stage}/scores",
            json={"scores": {"fit": by_app[pair["application_id"]]}},
            headers=bearer(reviewer_account(pair["reviewer_id"])),
        )
        assert response.status_code == 200, response.text


async def outbox_size(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM outbox"))


async def test_pipeline_counts_every_status_and_each_stage(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    code = cohort.cohort_code
    ids = [(await submit(api, submission(cohort, n)))["application_id"] for n in range(3)]
    withdrawn = await api.post(
        f"/applications/{ids[2]}/withdrawal", json={"reason": "asked"}, headers=bearer(MANAGER)
    )
    assert withdrawn.status_code == 200

    pipeline = await get_json(api, f"/cohorts/{code}/pipeline")
    assert pipeline["total"] == 3
    assert pipeline["by_status"]["received"] == 2
    assert pipeline["by_status"]["withdrawn"] == 1
    assert pipeline["by_status"]["accepted"] == 0  # every status, zero included
    # Not yet in any stage means the first: Korean names come with the codes.
    assert [(s["stage_code"], s["name_ko"], s["in_review"]) for s in pipeline["stages"]] == [
        (DOC, "서류평가", 2),
        (PRES, "발표평가", 0),
    ]

    assigned = (await assign(api, code, DOC, per_application=2))["assigned"]
    await score_all(api, assigned, DOC, dict.fromkeys(ids[:2], 70))
    advanced = await api.post(
        f"/cohorts/{code}/stages/{DOC}/advance", json={"reason": "done"}, headers=bearer(MANAGER)
    )
    assert advanced.status_code == 200, advanced.text
    pipeline = await get_json(api, f"/cohorts/{code}/pipeline")
    assert [s["in_review"] for s in pipeline["stages"]] == [0, 2]

    other = await api.get(f"/cohorts/{code}/pipeline", headers=bearer(OTHER_MANAGER))
    assert other.status_code == 403
    assert (await api.get("/cohorts/no-such/pipeline", headers=bearer(MANAGER))).status_code == 404


async def test_the_list_searches_name_email_and_registration_number_and_filters_by_stage(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    code = cohort.cohort_code
    sent = [submission(cohort, n) for n in range(3)]
    sent[0]["startup"]["name"] = "Nuri Vision"
    sent[1]["contact"]["email"] = "Founder@Deep-Seoul.example"
    ids = [(await submit(api, data))["application_id"] for data in sent]
    brn = sent[2]["startup"]["business_registration_number"]

    async def found(**params: Any) -> tuple[list[str], str]:
        response = await api.get(
            "/applications", params={"cohort_code": code, **params}, headers=bearer(MANAGER)
        )
        assert response.status_code == 200, response.text
        return [a["id"] for a in response.json()], response.headers["X-Total-Count"]

    assert await found(q="nuri vis") == ([ids[0]], "1")
    assert await found(q="deep-seoul") == ([ids[1]], "1")  # the contact's e-mail, any case
    assert await found(q=f"{brn[:3]}-{brn[3:5]}-{brn[5:7]}") == ([ids[2]], "1")  # as printed
    assert await found(q="%") == ([], "0")  # literally, not a pattern
    # The first stage holds those not moved on yet; pages carry the total of matches.
    assert await found(stage_code=DOC, limit=2) == (ids[:2], "3")
    assert await found(stage_code=DOC, limit=2, offset=2) == (ids[2:], "3")
    assert await found(stage_code=PRES) == ([], "0")


async def test_reviewer_progress_counts_assigned_scored_conflicts_and_overdue(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    code = cohort.cohort_code
    ids = [(await submit(api, submission(cohort, n)))["application_id"] for n in range(3)]
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assigned = (await assign(api, code, DOC, per_application=2, due_at=past))["assigned"]
    assert len(assigned) == 6  # 3 applications × 2 from a pool of 3

    first = REVIEWERS[0]
    mine = [p for p in assigned if p["reviewer_id"] == first]
    await score_all(api, mine[:1], DOC, dict.fromkeys(ids, 75))
    recused = mine[1]
    response = await api.post(
        f"/applications/{recused['application_id']}/stages/{DOC}/conflict",
        json={"reason": "I invested in it"},
        headers=bearer(reviewer_account(first)),
    )
    assert response.status_code == 200, response.text
    replacement = response.json()["replacement"]

    progress = await get_json(api, f"/cohorts/{code}/stages/{DOC}/reviewers")
    by_reviewer = {p["reviewer_id"]: p for p in progress}
    assert [p["reviewer_id"] for p in progress] == REVIEWERS  # the pool, in the order added
    assert {k: by_reviewer[first][k] for k in ("assigned", "scored", "conflicts", "overdue")} == {
        "assigned": 1,
        "scored": 1,
        "conflicts": 1,
        "overdue": 0,
    }
    assert by_reviewer[replacement]["assigned"] == 3  # took over, with the same due time
    assert by_reviewer[replacement]["overdue"] == 3
    assert sum(p["assigned"] for p in progress) == 6
    missing = await api.get(f"/cohorts/{code}/stages/no-such/reviewers", headers=bearer(MANAGER))
    assert missing.status_code == 404


async def test_the_advance_preview_is_what_the_advance_then_does_and_changes_nothing(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort(
        review_stages=[
            one_criterion_stage(DOC, 40, pass_threshold=50, advance_top_k=2),
            one_criterion_stage(PRES, 60),
        ]
    )
    code = cohort.cohort_code
    ids = [(await submit(api, submission(cohort, n)))["application_id"] for n in range(4)]
    preview_path = f"/cohorts/{code}/stages/{DOC}/advance/preview"
    early = await api.get(preview_path, headers=bearer(MANAGER))
    assert early.status_code == 409  # the advance's own refusal, with its reason
    assert "scored reviews" in early.json()["detail"]

    assigned = (await assign(api, code, DOC, reviewers=[{"id": REVIEWERS[0], "name": "R"}]))[
        "assigned"
    ]
    await score_one_each(api, assigned, DOC, dict(zip(ids, [90, 40, 70, 60], strict=True)))
    before = await outbox_size(applications_pool)
    preview = await get_json(api, preview_path)
    assert await outbox_size(applications_pool) == before
    assert [(p["application_id"], p["passed"]) for p in preview] == [
        (ids[0], True),
        (ids[2], True),
        (ids[3], False),  # outside the best 2
        (ids[1], False),  # below the threshold
    ]
    assert preview[0]["startup_name"] == "Startup 0"
    assert "below the threshold" in preview[3]["reason"]
    assert (await get_json(api, f"/cohorts/{code}/pipeline"))["by_status"]["rejected"] == 0
    # A page of it, counted whole: what the console shows of a large cohort.
    page = await api.get(preview_path, params={"limit": 2, "offset": 1}, headers=bearer(MANAGER))
    assert page.status_code == 200, page.text
    assert page.json() == preview[1:3]
    assert page.headers["X-Total-Count"] == "4"
    assert page.headers["X-Passing-Count"] == "2"

    advanced = await api.post(
        f"/cohorts/{code}/stages/{DOC}/advance", json={"reason": "done"}, headers=bearer(MANAGER)
    )
    assert advanced.status_code == 200, advanced.text
    assert [{k: p[k] for k in advanced.json()[0]} for p in preview] == advanced.json()


async def test_selection_preview_with_a_reserve_and_the_ranking_in_pages_with_its_tie_break(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort(
        seats=1, review_stages=[one_criterion_stage(DOC, 50), one_criterion_stage(PRES, 50)]
    )
    code = cohort.cohort_code
    ids = [(await submit(api, submission(cohort, n)))["application_id"] for n in range(4)]
    one = [{"id": REVIEWERS[0], "name": "R"}]
    # Final scores 70, 70, 70, 50: the presentation score breaks the first tie, the
    # submission order the second (ids[2] and ids[1] are equal in both stages).
    doc = dict(zip(ids, [80, 70, 70, 50], strict=True))
    pres = dict(zip(ids, [60, 70, 70, 50], strict=True))
    await score_one_each(api, (await assign(api, code, DOC, reviewers=one))["assigned"], DOC, doc)
    advanced = await api.post(
        f"/cohorts/{code}/stages/{DOC}/advance", json={"reason": "done"}, headers=bearer(MANAGER)
    )
    assert advanced.status_code == 200, advanced.text
    await score_one_each(
        api, (await assign(api, code, PRES, reviewers=one))["assigned"], PRES, pres
    )

    preview = await get_json(api, f"/cohorts/{code}/selection/preview", reserve=1)
    assert [(p["application_id"], p["rank"]) for p in preview] == [
        (ids[1], 1),
        (ids[2], 2),
        (ids[0], None),
        (ids[3], None),
    ]
    assert "reserve place 1" in preview[1]["reason"]

    first = await api.get(f"/cohorts/{code}/ranking", params={"limit": 2}, headers=bearer(MANAGER))
    second = await get_json(api, f"/cohorts/{code}/ranking", limit=2, offset=2)
    assert first.headers["X-Total-Count"] == "4"
    lines = first.json() + second
    assert [line["id"] for line in lines] == [ids[1], ids[2], ids[0], ids[3]]
    assert [line["tie_broken_by"] for line in lines] == [
        None,
        {"rule": "earlier_submission", "stage_code": None},
        {"rule": "stage_score", "stage_code": PRES},  # across the page boundary
        None,
    ]

    selected = await api.post(
        f"/cohorts/{code}/selection",
        json={"reason": "committee", "reserve": 1},
        headers=bearer(MANAGER),
    )
    assert selected.status_code == 200, selected.text
    assert [{k: p[k] for k in selected.json()[0]} for p in preview] == selected.json()
