"""The staff HTTP API on the real Postgres: who may change what, and who sees what."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi.routing import APIRoute

from aihub_programs.entrypoints.api import build_router
from aihub_programs.settings import Settings
from services.programs.tests.support import (
    ADMIN,
    OPS,
    PM_CV,
    PM_OTHER,
    REVIEWER,
    accept,
    api_settings,
    cohort_body,
    program_body,
)

pytestmark = pytest.mark.integration


async def test_who_may_change_what(api: httpx.AsyncClient) -> None:
    assert (await api.post("/programs", json=program_body(), headers=ADMIN)).status_code == 201
    # PM_OTHER manages membership (the catalog says so), not cv-batch.
    other = program_body("membership")
    assert (await api.post("/programs", json=other, headers=ADMIN)).status_code == 201
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


async def test_the_catalog_says_who_manages_a_program(api: httpx.AsyncClient) -> None:
    """A manager listed for program A acts on A, not on B; taken off A's list, not on A either
    (with the same token: the right is the catalog's, looked up on every request)."""
    for code in ("cv-batch", "membership"):
        assert (
            await api.post("/programs", json=program_body(code), headers=ADMIN)
        ).status_code == 201
    own = await api.post("/programs/cv-batch/cohorts", json=cohort_body(), headers=PM_CV)
    assert own.status_code == 201, own.text
    foreign = await api.post(
        "/programs/membership/cohorts", json=cohort_body("ms-2027-1"), headers=PM_CV
    )
    assert foreign.status_code == 403
    settings = program_body(program_managers=[])
    del settings["code"]
    assert (await api.put("/programs/cv-batch", json=settings, headers=ADMIN)).status_code == 200
    update = cohort_body(seats=5)
    del update["code"]
    removed = await api.put("/cohorts/cv-2027-1", json=update, headers=PM_CV)
    assert removed.status_code == 403, removed.text


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
    program = program_body(cohorts=[cohort_body(seats=7)])
    assert (await api.post("/programs", json=program, headers=ADMIN)).status_code == 201
    other = program_body("membership")
    assert (await api.post("/programs", json=other, headers=ADMIN)).status_code == 201
    for app in "abcdefg":
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
        ("GET", "/cohorts/{cohort_code}/enrollments", None, EVERYONE - {"reviewer"}),
        ("GET", "/outcomes", None, EVERYONE),
        ("GET", "/cohorts/{cohort_code}/outcomes", None, EVERYONE),
        ("POST", "/programs", program_body("{role}-new"), {"admin"}),
        ("PUT", "/programs/{program_code}", settings, {"admin"}),
        ("POST", "/programs/{program_code}/cohorts", cohort_body("{role}-cohort"), MANAGERS),
        ("PUT", "/cohorts/{cohort_code}", cohort_settings, MANAGERS),
        ("POST", "/enrollments/{application_id}/cancellation", reason, MANAGERS),
        ("POST", "/enrollments/{application_id}/agreement", None, MANAGERS),
        ("POST", "/enrollments/{application_id}/agreement/give-up", reason, MANAGERS),
        # An access request: admins only (an id nobody has: an empty export).
        ("POST", "/privacy/exports", {"application_ids": [str(uuid.UUID(int=1))]}, {"admin"}),
    ]
    served = {
        (method, route.path)
        for route in build_router(Settings.model_validate(api_settings())).routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert served == {(method, path) for method, path, _, _ in routes}, "a route is not covered"
    # An allowed role acts on an enrollment of its own (admin and the program's manager each
    # cancel one and sign another); a denied role's attempt targets "a", which it may not touch.
    targets = {
        "admin": {"cancellation": "b", "agreement": "d", "give-up": "f"},
        "pm-own": {"cancellation": "c", "agreement": "e", "give-up": "g"},
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


async def test_reviewers_see_a_cohort_but_not_who_holds_its_seats(
    api: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    program = program_body(cohorts=[cohort_body(seats=1)])
    assert (await api.post("/programs", json=program, headers=ADMIN)).status_code == 201
    other = program_body("membership")
    assert (await api.post("/programs", json=other, headers=ADMIN)).status_code == 201
    for app, rank in (("a", 1), ("b", 2)):
        await accept(db, app, rank=rank)
    seen = (await api.get("/cohorts/cv-2027-1", headers=REVIEWER)).json()
    assert (seen["seats"], seen["seats_taken"], seen["waitlisted"]) == (1, 1, 1)
    assert seen["review_stages"]
    assert "enrollments" not in seen
    refused = await api.get("/cohorts/cv-2027-1/enrollments", headers=REVIEWER)
    assert refused.status_code == 403
    assert "reviewers" in refused.json()["detail"]
    for headers in (ADMIN, PM_CV, PM_OTHER, OPS):
        listed = (await api.get("/cohorts/cv-2027-1/enrollments", headers=headers)).json()
        assert [e["application_id"] for e in listed] == ["a", "b"]
