"""The staff HTTP API on the real Postgres: who may change what, and the answers to bad input."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi.routing import APIRoute

from aihub_programs.entrypoints.api import build_router
from aihub_programs.entrypoints.app import definition
from aihub_programs.settings import Settings
from aihub_shared.identity import Role
from aihub_shared.runtime.service import ServiceRuntime, build_broker, http_app
from aihub_shared.runtime.staff_tokens import issue_staff_token
from services.programs.tests.support import BRNS, accept, queued

pytestmark = pytest.mark.integration

SECRET = "programs-api-test-secret-0123456789abcdef"  # noqa: S105 - test only
SETTINGS = {"PROGRAMS_DATABASE_URL": "postgresql://unused", "STAFF_TOKEN_SECRET": SECRET}


def token(role: Role, programs: tuple[str, ...] = ()) -> dict[str, str]:
    signed = issue_staff_token(
        SECRET,
        subject=f"{role.value}@hub.example",
        name=role.value,
        role=role,
        programs=list(programs),
    )
    return {"Authorization": f"Bearer {signed}"}


ADMIN = token(Role.ADMIN)
PM_CV = token(Role.PROGRAM_MANAGER, ("cv-batch",))
PM_OTHER = token(Role.PROGRAM_MANAGER, ("membership",))
REVIEWER = token(Role.REVIEWER)
OPS = token(Role.OPS)


@pytest.fixture
async def api(db: asyncpg.Pool, programs_dsn: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings.model_validate({**SETTINGS, "PROGRAMS_DATABASE_URL": programs_dsn})
    app = http_app(definition(settings))
    # The broker is never started: the routes only use the pool.
    app.state.runtime = ServiceRuntime(
        settings=settings, pool=db, broker=build_broker(settings, "programs-api-test")
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://programs") as client:
        yield client


def cohort_body(code: str = "cv-2027-1", seats: int = 2, **extra: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "code": code,
        "seats": seats,
        "application_opens_at": (now - timedelta(days=1)).isoformat(),
        "application_closes_at": (now + timedelta(days=30)).isoformat(),
        "agreement_due_days": 10,
        "questions": [{"key": "why_now", "label_ko": "왜 지금?", "label_en": "Why now?"}],
        **extra,
    }


def program_body(code: str = "cv-batch", **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name_ko": "사이버밸리 배치 프로그램",
        "name_en": "Cyber Valley batch program",
        "partner": "Cyber Valley",
        "description_ko": "유럽 진출",
        "description_en": "European market entry",
        "program_managers": [{"name": "PM", "email": "pm@hub.example", "locale": "en"}],
        **extra,
    }


async def test_admin_creates_a_program_and_every_change_publishes_its_cohorts(
    api: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    created = await api.post(
        "/programs",
        json=program_body(cohorts=[cohort_body(), cohort_body("cv-2027-2")]),
        headers=ADMIN,
    )
    assert created.status_code == 201, created.text
    assert created.json() == {"published": ["cv-2027-1", "cv-2027-2"]}
    again = await api.post("/programs", json=program_body(), headers=ADMIN)
    assert again.status_code == 409
    assert "already exists" in again.json()["detail"]

    renamed = await api.put(
        "/programs/cv-batch", json={**program_body(name_en="Cyber Valley AI batch"), "code": None}
    )
    assert renamed.status_code == 401  # no token at all
    body = program_body(name_en="Cyber Valley AI batch")
    del body["code"]
    renamed = await api.put("/programs/cv-batch", json=body, headers=ADMIN)
    assert renamed.json() == {"published": ["cv-2027-1", "cv-2027-2"]}
    published = [e for e in await queued(db) if e["name"] == "cohort.published"]
    assert [e["key"] for e in published] == ["cv-2027-1", "cv-2027-2"] * 2
    last = published[-1]["data"]
    assert last["program_name_en"] == "Cyber Valley AI batch"
    assert last["agreement_due_days"] == 10
    assert last["questions"][0]["key"] == "why_now"
    assert [s["code"] for s in last["review_stages"]] == ["document-review", "presentation-review"]
    # Nothing changed: nothing published.
    assert (await api.put("/programs/cv-batch", json=body, headers=ADMIN)).json() == {
        "published": []
    }
    program = (await api.get("/programs/cv-batch", headers=REVIEWER)).json()
    assert [c["cohort_code"] for c in program["cohorts"]] == ["cv-2027-1", "cv-2027-2"]


async def test_who_may_change_what(api: httpx.AsyncClient) -> None:
    assert (await api.post("/programs", json=program_body(), headers=ADMIN)).status_code == 201
    body = program_body()
    del body["code"]
    # Programs: admins only.
    for headers in (PM_CV, REVIEWER, OPS):
        assert (
            await api.post("/programs", json=program_body("x-new"), headers=headers)
        ).status_code == 403
        assert (await api.put("/programs/cv-batch", json=body, headers=headers)).status_code == 403
    # Cohorts: the program's own managers (and admins).
    denied = await api.post("/programs/cv-batch/cohorts", json=cohort_body(), headers=PM_OTHER)
    assert denied.status_code == 403
    assert "cv-batch" in denied.json()["detail"]
    assert (
        await api.post("/programs/cv-batch/cohorts", json=cohort_body(), headers=REVIEWER)
    ).status_code == 403
    created = await api.post("/programs/cv-batch/cohorts", json=cohort_body(), headers=PM_CV)
    assert created.status_code == 201, created.text
    update = cohort_body(seats=5)
    del update["code"]
    assert (await api.put("/cohorts/cv-2027-1", json=update, headers=PM_OTHER)).status_code == 403
    assert (await api.put("/cohorts/cv-2027-1", json=update, headers=OPS)).status_code == 403
    assert (await api.put("/cohorts/cv-2027-1", json=update, headers=PM_CV)).status_code == 200
    # Everyone reads.
    for headers in (ADMIN, PM_OTHER, REVIEWER, OPS):
        cohort = await api.get("/cohorts/cv-2027-1", headers=headers)
        assert cohort.status_code == 200
        assert cohort.json()["seats"] == 5


async def test_bad_input_is_refused_with_reasons(api: httpx.AsyncClient) -> None:
    assert (await api.post("/programs", json=program_body(), headers=ADMIN)).status_code == 201
    bad = await api.post(
        "/programs/cv-batch/cohorts",
        json=cohort_body(
            code="Bad Code",
            seats=-1,
            review_stages=[
                {
                    "code": "only",
                    "name_ko": "서류",
                    "name_en": "Docs",
                    "weight": 60,
                    "criteria": [
                        {"code": "tech", "name_ko": "기술", "name_en": "Tech", "weight": 1}
                    ],
                }
            ],
        ),
        headers=ADMIN,
    )
    assert bad.status_code == 422
    locations = {tuple(e["loc"]) for e in bad.json()["detail"]}
    assert ("body", "code") in locations
    assert ("body", "seats") in locations
    weights = await api.post(
        "/programs/cv-batch/cohorts",
        json=cohort_body(
            review_stages=[
                {
                    "code": "only",
                    "name_ko": "서류",
                    "name_en": "Docs",
                    "weight": 60,
                    "criteria": [
                        {"code": "tech", "name_ko": "기술", "name_en": "Tech", "weight": 1}
                    ],
                }
            ]
        ),
        headers=ADMIN,
    )
    assert weights.status_code == 422
    assert "sum to 100" in weights.text
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


async def test_staff_manage_seats_over_http(api: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    program = program_body(cohorts=[cohort_body(seats=1)])
    assert (await api.post("/programs", json=program, headers=ADMIN)).status_code == 201
    for app, rank in (("a", 1), ("b", 2), ("c", 3)):
        await accept(db, app, rank=rank)

    cohort = (await api.get("/cohorts/cv-2027-1", headers=OPS)).json()
    assert cohort["seats_taken"] == 1
    assert [
        (e["application_id"], e["status"], e["waitlist_position"]) for e in cohort["enrollments"]
    ] == [
        ("a", "confirmed", None),
        ("b", "waitlisted", 1),
        ("c", "waitlisted", 2),
    ]

    reason = {"reason": "did not move in"}
    assert (
        await api.post("/enrollments/a/cancellation", json=reason, headers=REVIEWER)
    ).status_code == 403
    assert (
        await api.post("/enrollments/a/cancellation", json=reason, headers=PM_OTHER)
    ).status_code == 403
    assert (
        await api.post("/enrollments/zz/cancellation", json=reason, headers=ADMIN)
    ).status_code == 404
    assert (
        await api.post("/enrollments/a/cancellation", json={}, headers=ADMIN)
    ).status_code == 422
    cancelled = await api.post(
        "/enrollments/a/cancellation",
        json=reason,
        headers={**PM_CV, "X-Correlation-Id": "cancel-a"},
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    again = await api.post("/enrollments/a/cancellation", json=reason, headers=PM_CV)
    assert again.status_code == 409

    assert (await api.post("/enrollments/c/agreement", headers=PM_CV)).status_code == 409  # waiting
    signed = await api.post("/enrollments/b/agreement", headers=PM_CV)
    assert signed.status_code == 200
    assert signed.json()["agreement_signed_at"] is not None
    assert (await api.post("/enrollments/b/agreement", headers=PM_CV)).status_code == 409

    # Seats added promote at once.
    update = cohort_body(seats=2)
    del update["code"]
    assert (await api.put("/cohorts/cv-2027-1", json=update, headers=PM_CV)).status_code == 200
    steps = [
        (e["name"], e["data"].get("application_id"), e.get("correlationid"))
        for e in await queued(db)
        if e["name"].startswith("enrollment.") and e["data"]["application_id"] in "abc"
    ][3:]
    assert [s[:2] for s in steps] == [
        ("enrollment.cancelled", "a"),
        ("enrollment.promoted", "b"),
        ("enrollment.agreement_signed", "b"),
        ("enrollment.promoted", "c"),
    ]
    assert steps[0][2] == "cancel-a"
    assert steps[1][2] == "cancel-a"


async def test_outcomes_over_http(api: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    assert (
        await api.post(
            "/programs", json=program_body(cohorts=[cohort_body(seats=1)]), headers=ADMIN
        )
    ).status_code == 201
    for app, startup in (("a", 0), ("b", 1)):  # "b" waits: not supported (yet)
        await accept(db, app, rank=startup + 1, startup_brn=BRNS[startup])
    hub = await api.get("/outcomes", headers=OPS)
    assert hub.status_code == 200
    assert hub.json()["companies_supported"] == 1
    cohort = await api.get("/cohorts/cv-2027-1/outcomes", headers=REVIEWER)
    assert cohort.json()["cohort_code"] == "cv-2027-1"
    assert cohort.json()["cumulative_revenue_krw"] == 0
    # "a" leaves and "b" takes its seat: both were supported, the figure is cumulative.
    reason = {"reason": "moved abroad"}
    left = await api.post("/enrollments/a/cancellation", json=reason, headers=ADMIN)
    assert left.status_code == 200
    for path in ("/outcomes", "/cohorts/cv-2027-1/outcomes"):
        assert (await api.get(path, headers=OPS)).json()["companies_supported"] == 2
    assert (await api.get("/cohorts/nope/outcomes", headers=ADMIN)).status_code == 404
    assert (await api.get("/outcomes")).status_code == 401


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


async def test_racing_creations_of_one_code_get_one_201_and_409s(
    api: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    first = program_body(name_en="First")
    second = program_body(name_en="Second")
    answers = await asyncio.gather(
        api.post("/programs", json=first, headers=ADMIN),
        api.post("/programs", json=second, headers=ADMIN),
    )
    assert sorted(a.status_code for a in answers) == [201, 409]
    winner = next(a for a in answers if a.status_code == 201).request.content
    assert (await db.fetchval("SELECT name_en FROM programs")) in winner.decode()

    cohorts = await asyncio.gather(
        *(
            api.post("/programs/cv-batch/cohorts", json=cohort_body(seats=s), headers=ADMIN)
            for s in (1, 2, 3)
        )
    )
    assert sorted(a.status_code for a in cohorts) == [201, 409, 409]
    published = [e for e in await queued(db) if e["name"] == "cohort.published"]
    assert len(published) == 1
    assert published[0]["data"]["seats"] == await db.fetchval("SELECT seats FROM cohorts")


def _stage(code: str, weight: int, criteria: list[str]) -> dict[str, Any]:
    return {
        "code": code,
        "name_ko": code,
        "name_en": code,
        "weight": weight,
        "criteria": [{"code": c, "name_ko": c, "name_en": c, "weight": 1} for c in criteria],
    }


async def test_criterion_codes_are_unique_within_a_stage(api: httpx.AsyncClient) -> None:
    assert (await api.post("/programs", json=program_body(), headers=ADMIN)).status_code == 201
    twice = cohort_body(review_stages=[_stage("docs", 100, ["tech", "tech"])])
    refused = await api.post("/programs/cv-batch/cohorts", json=twice, headers=ADMIN)
    assert refused.status_code == 422
    assert "criterion codes must be unique within stage docs" in refused.text
    # The same criterion code in two stages is fine.
    both = cohort_body(review_stages=[_stage("docs", 30, ["tech"]), _stage("pitch", 70, ["tech"])])
    assert (
        await api.post("/programs/cv-batch/cohorts", json=both, headers=ADMIN)
    ).status_code == 201


ROLES = {
    "none": {},
    "admin": ADMIN,
    "pm-own": PM_CV,
    "pm-other": PM_OTHER,
    "reviewer": REVIEWER,
    "ops": OPS,
}
EVERYONE = {"admin", "pm-own", "pm-other", "reviewer", "ops"}
MANAGERS = {"admin", "pm-own"}


async def test_every_route_for_every_role(api: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    """Each route × each role: 401 without a token, 403 for a role that may not, and anything
    but 401/403 for one that may (writes may then answer 200, 201 or 409)."""
    program = program_body(cohorts=[cohort_body(seats=5)])
    assert (await api.post("/programs", json=program, headers=ADMIN)).status_code == 201
    for app in "abcde":
        await accept(db, app, rank=1)
    settings = program_body()
    del settings["code"]
    cohort_settings = cohort_body()
    del cohort_settings["code"]
    reason = {"reason": "checking who may"}
    routes: list[tuple[str, str, Any, set[str]]] = [
        ("GET", "/programs", None, EVERYONE),
        ("GET", "/programs/{program_code}", None, EVERYONE),
        ("GET", "/cohorts/{cohort_code}", None, EVERYONE),
        ("GET", "/outcomes", None, EVERYONE),
        ("GET", "/cohorts/{cohort_code}/outcomes", None, EVERYONE),
        ("POST", "/programs", program_body("{role}-new"), {"admin"}),
        ("PUT", "/programs/{program_code}", settings, {"admin"}),
        ("POST", "/programs/{program_code}/cohorts", cohort_body("{role}-cohort"), MANAGERS),
        ("PUT", "/cohorts/{cohort_code}", cohort_settings, MANAGERS),
        ("POST", "/enrollments/{application_id}/cancellation", reason, MANAGERS),
        ("POST", "/enrollments/{application_id}/agreement", None, MANAGERS),
    ]
    served = {
        (method, route.path)
        for route in build_router(Settings.model_validate(SETTINGS)).routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert served == {(method, path) for method, path, _, _ in routes}, "a route is not covered"
    # An allowed role acts on an enrollment of its own (admin and the program's manager each
    # cancel one and sign another); a denied role's attempt targets "a", which it may not touch.
    targets = {
        "admin": {"cancellation": "b", "agreement": "d"},
        "pm-own": {"cancellation": "c", "agreement": "e"},
    }
    for method, path, body, allowed in routes:
        for role, headers in ROLES.items():
            application = targets.get(role, {}).get(path.rsplit("/", 1)[-1], "a")
            url = path.format(
                program_code="cv-batch", cohort_code="cv-2027-1", application_id=application
            )
            json_body = (
                {k: v.format(role=role) if k == "code" else v for k, v in body.items()}
                if body
                else None
            )
            answer = await api.request(method, url, json=json_body, headers=headers)
            where = (method, path, role, answer.status_code, answer.text[:200])
            if role == "none":
                assert answer.status_code == 401, where
            elif role in allowed:
                assert answer.status_code in (200, 201), where
            else:
                assert answer.status_code == 403, where


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
    stage = _stage("docs", 100, ["tech"])
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
    stage = {**_stage("docs", 100, ["tech"]), "advance_top_k": 10**30}
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


async def test_the_waitlist_closes_ranks_when_a_waiting_startup_leaves(
    api: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    program = program_body(cohorts=[cohort_body(seats=1)])
    assert (await api.post("/programs", json=program, headers=ADMIN)).status_code == 201
    for app, rank in (("a", 1), ("d", None), ("c", 3), ("b", 2)):
        await accept(db, app, rank=rank)

    async def waitlist() -> list[tuple[str, int]]:
        cohort = (await api.get("/cohorts/cv-2027-1", headers=OPS)).json()
        return [
            (e["application_id"], e["waitlist_position"])
            for e in cohort["enrollments"]
            if e["status"] == "waitlisted"
        ]

    assert await waitlist() == [("b", 1), ("c", 2), ("d", 3)]
    reason = {"reason": "no longer interested"}
    assert (
        await api.post("/enrollments/b/cancellation", json=reason, headers=PM_CV)
    ).status_code == 200
    assert await waitlist() == [("c", 1), ("d", 2)]


async def test_reviewers_see_a_cohort_but_not_who_holds_its_seats(
    api: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    program = program_body(cohorts=[cohort_body(seats=1)])
    assert (await api.post("/programs", json=program, headers=ADMIN)).status_code == 201
    for app, rank in (("a", 1), ("b", 2)):
        await accept(db, app, rank=rank)
    seen = (await api.get("/cohorts/cv-2027-1", headers=REVIEWER)).json()
    assert (seen["seats"], seen["seats_taken"], seen["waitlisted"]) == (1, 1, 1)
    assert seen["review_stages"]
    assert "enrollments" not in seen
    for headers in (ADMIN, PM_CV, PM_OTHER, OPS):
        listed = (await api.get("/cohorts/cv-2027-1", headers=headers)).json()["enrollments"]
        assert [e["application_id"] for e in listed] == ["a", "b"]


async def test_one_cohort_code_twice_in_one_body_is_a_422(api: httpx.AsyncClient) -> None:
    body = program_body(cohorts=[cohort_body(), cohort_body(seats=9)])
    refused = await api.post("/programs", json=body, headers=ADMIN)
    assert refused.status_code == 422
    assert "cohort codes must be unique" in refused.text
    assert (await api.get("/programs/cv-batch", headers=ADMIN)).status_code == 404
