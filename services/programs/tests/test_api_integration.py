"""The staff HTTP API on the real Postgres: who may change what, and the answers to bad input."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from aihub_programs.entrypoints.api import build_router
from aihub_programs.service_layer.enrollment import enroll_accepted_application
from aihub_programs.settings import Settings
from aihub_shared.runtime.auth import Role, issue_staff_token
from aihub_shared.runtime.service import ServiceRuntime, build_broker
from services.programs.tests.conftest import accepted, event, handle, queued

pytestmark = pytest.mark.integration

SECRET = "programs-api-test-secret-0123456789abcdef"  # noqa: S105 - test only


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
    settings = Settings.model_validate(
        {"PROGRAMS_DATABASE_URL": programs_dsn, "STAFF_TOKEN_SECRET": SECRET}
    )
    app = FastAPI()
    app.include_router(build_router(settings))
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
        data = accepted(app, rank=rank)
        await handle(db, enroll_accepted_application, event("application.accepted", data), data)

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
        await api.post("/programs", json=program_body(cohorts=[cohort_body()]), headers=ADMIN)
    ).status_code == 201
    data = accepted("a", rank=1)
    await handle(db, enroll_accepted_application, event("application.accepted", data), data)
    hub = await api.get("/outcomes", headers=OPS)
    assert hub.status_code == 200
    assert hub.json()["companies_supported"] == 1
    cohort = await api.get("/cohorts/cv-2027-1/outcomes", headers=REVIEWER)
    assert cohort.json()["cohort_code"] == "cv-2027-1"
    assert cohort.json()["cumulative_revenue_krw"] == 0
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
