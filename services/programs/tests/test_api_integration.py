"""The staff HTTP API on the real Postgres: catalog changes and what they publish, seats and
outcomes over HTTP."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from services.programs.tests.support import (
    ADMIN,
    BRNS,
    OPS,
    PM_CV,
    PM_OTHER,
    REVIEWER,
    accept,
    cohort_body,
    program_body,
    queued,
)

pytestmark = pytest.mark.integration


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


async def test_staff_manage_seats_over_http(api: httpx.AsyncClient, db: asyncpg.Pool) -> None:
    program = program_body(cohorts=[cohort_body(seats=1)])
    assert (await api.post("/programs", json=program, headers=ADMIN)).status_code == 201
    for app, rank in (("a", 1), ("b", 2), ("c", 3)):
        await accept(db, app, rank=rank)

    cohort = (await api.get("/cohorts/cv-2027-1", headers=OPS)).json()
    assert cohort["seats_taken"] == 1
    listed = (await api.get("/cohorts/cv-2027-1/enrollments", headers=OPS)).json()
    assert [(e["application_id"], e["status"], e["waitlist_position"]) for e in listed] == [
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


async def test_the_waitlist_closes_ranks_when_a_waiting_startup_leaves(
    api: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    program = program_body(cohorts=[cohort_body(seats=1)])
    assert (await api.post("/programs", json=program, headers=ADMIN)).status_code == 201
    for app, rank in (("a", 1), ("d", None), ("c", 3), ("b", 2)):
        await accept(db, app, rank=rank)

    async def waitlist() -> list[tuple[str, int]]:
        path = "/cohorts/cv-2027-1/enrollments?status=waitlisted"
        listed = (await api.get(path, headers=OPS)).json()
        return [(e["application_id"], e["waitlist_position"]) for e in listed]

    assert await waitlist() == [("b", 1), ("c", 2), ("d", 3)]
    reason = {"reason": "no longer interested"}
    assert (
        await api.post("/enrollments/b/cancellation", json=reason, headers=PM_CV)
    ).status_code == 200
    assert await waitlist() == [("c", 1), ("d", 2)]


async def test_a_cohorts_enrollments_come_a_page_at_a_time_with_whole_waitlist_positions(
    api: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    program = program_body(cohorts=[cohort_body(seats=1)])
    assert (await api.post("/programs", json=program, headers=ADMIN)).status_code == 201
    for rank, app in enumerate("abcdef", start=1):
        await accept(db, app, rank=rank)

    async def page(**params: str | int) -> tuple[list[tuple[str, str, int | None]], str]:
        response = await api.get("/cohorts/cv-2027-1/enrollments", params=params, headers=PM_CV)
        assert response.status_code == 200, response.text
        total = response.headers["X-Total-Count"]
        return [
            (e["application_id"], e["status"], e["waitlist_position"]) for e in response.json()
        ], total

    assert await page(limit=2, offset=2) == (
        [("c", "waitlisted", 2), ("d", "waitlisted", 3)],
        "6",
    )
    # Positions are places in the whole line, whatever the page or the filter.
    assert await page(status="waitlisted", offset=3) == (
        [("e", "waitlisted", 4), ("f", "waitlisted", 5)],
        "5",
    )
    assert await page(status="cancelled") == ([], "0")
    cohort = (await api.get("/cohorts/cv-2027-1", headers=PM_CV)).json()
    assert (cohort["seats_taken"], cohort["waitlisted"]) == (1, 5)
    # Each part is read from where the page starts in it: any window of the whole list, across
    # the seats, the waitlist and those that left, is that window of it.
    reason = {"reason": "no longer interested"}
    for left in ("c", "a"):
        cancelled = await api.post(f"/enrollments/{left}/cancellation", json=reason, headers=PM_CV)
        assert cancelled.status_code == 200, cancelled.text
    whole, total = await page(limit=50)
    assert whole == [
        ("b", "confirmed", None),
        ("d", "waitlisted", 1),
        ("e", "waitlisted", 2),
        ("f", "waitlisted", 3),
        ("a", "cancelled", None),
        ("c", "cancelled", None),
    ]
    assert total == "6"
    for offset in range(len(whole) + 1):
        assert await page(limit=2, offset=offset) == (whole[offset : offset + 2], "6")
    assert "enrollments" not in cohort  # the list is read a page at a time
    bad = await api.get("/cohorts/cv-2027-1/enrollments?status=gone", headers=PM_CV)
    assert bad.status_code == 422
    missing = await api.get("/cohorts/no-such/enrollments", headers=PM_CV)
    assert missing.status_code == 404


async def test_a_startup_giving_up_its_agreement_over_http_is_replaced_by_the_next_rank(
    api: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    """협약 포기: the program's manager records it with the startup's reason; the next reserve
    rank takes the seat, and the cancellation says why for people and machines."""
    program = program_body(cohorts=[cohort_body(seats=1)])
    assert (await api.post("/programs", json=program, headers=ADMIN)).status_code == 201
    for app, rank in (("a", 1), ("c", 3), ("b", 2)):
        await accept(db, app, rank=rank)
    url = "/enrollments/{}/agreement/give-up"
    reason = {"reason": "해외 법인 설립으로 입주 포기"}
    assert (await api.post(url.format("a"), json=reason, headers=PM_OTHER)).status_code == 403
    assert (await api.post(url.format("a"), json={}, headers=PM_CV)).status_code == 422
    waiting = await api.post(url.format("b"), json=reason, headers=PM_CV)
    assert waiting.status_code == 409
    assert "holding a seat" in waiting.json()["detail"]
    assert (await api.post(url.format("zz"), json=reason, headers=PM_CV)).status_code == 404

    gave_up = await api.post(
        url.format("a"), json=reason, headers={**PM_CV, "X-Correlation-Id": "give-up-a"}
    )
    assert gave_up.status_code == 200, gave_up.text
    assert gave_up.json()["status"] == "cancelled"
    assert gave_up.json()["reason"] == "agreement given up: 해외 법인 설립으로 입주 포기"
    assert (await api.post(url.format("a"), json=reason, headers=PM_CV)).status_code == 409

    listed = (await api.get("/cohorts/cv-2027-1/enrollments", headers=PM_CV)).json()
    assert [(e["application_id"], e["status"]) for e in listed] == [
        ("b", "confirmed"),
        ("c", "waitlisted"),
        ("a", "cancelled"),
    ]
    steps = [
        (e["name"], e["data"]["application_id"], e["data"].get("cause"), e.get("correlationid"))
        for e in await queued(db)
        if e.get("correlationid") == "give-up-a"
    ]
    assert steps == [
        ("enrollment.cancelled", "a", "agreement_given_up", "give-up-a"),
        ("enrollment.promoted", "b", None, "give-up-a"),
    ]
