"""The enrollment saga across applications and programs, as separate OS processes on real parts:
accepted → confirmed or waitlisted (ranked reserve) → withdrawal → promotion of the best reserve,
with each application's status following the enrollment events."""

from __future__ import annotations

import json

import httpx
import pytest

from aihub_local.platform import PlatformServices
from aihub_local.stack import StackEndpoints
from aihub_local.testing import eventually, read_until
from tests.e2e.kafka_io import receipt_for, submit, submitted_event
from tests.e2e.review_flow import select_for_cohort
from tests.e2e.support import business_number, unique

pytestmark = pytest.mark.integration


async def test_a_withdrawal_promotes_the_best_ranked_reserve(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    open_cohort: dict[str, str],
) -> None:
    applications, programs = staff["applications"], staff["programs"]
    cohort_code = open_cohort["cohort"]  # two seats
    tag = unique("saga")
    ids: list[str] = []
    for n in range(4):
        await submit(
            local_stack.kafka,
            submitted_event(
                f"{tag}-{n}",
                program_code=open_cohort["program"],
                cohort_code=cohort_code,
                contact_email=f"{tag}-{n}@startup.example",
                startup_name=f"Saga {n}",
                brn=business_number(7000 + n),
            ),
        )
        ids.append((await receipt_for(local_stack.kafka, f"{tag}-{n}"))["application_id"])

    # One committee decision: ranks 1-2 take the seats, ranks 3-4 are the reserve. Submitted in
    # an order that is not the rank order, so the ranking (not arrival) has to decide.
    ranked = [ids[2], ids[0], ids[3], ids[1]]
    await select_for_cohort(applications, ranked, reason="Final ranking 2027-1")

    statuses: dict[str, str] = {}

    async def statuses_become(expected: dict[str, str]) -> bool:
        for app_id in expected:
            detail = (await applications.get(f"/applications/{app_id}")).json()
            statuses[app_id] = detail["status"]
        return statuses == expected

    expected = {
        ranked[0]: "enrolled",
        ranked[1]: "enrolled",
        ranked[2]: "waitlisted",
        ranked[3]: "waitlisted",
    }
    await eventually(lambda: statuses_become(expected), what="seats by rank, reserve waitlisted")

    cohort = (await programs.get(f"/cohorts/{cohort_code}")).json()
    assert cohort["seats_taken"] == 2
    listed = await programs.get(f"/cohorts/{cohort_code}/enrollments?status=waitlisted")
    waitlisted = {e["application_id"]: e["waitlist_position"] for e in listed.json()}
    assert waitlisted == {ranked[2]: 1, ranked[3]: 2}

    # The rank-1 startup withdraws: programs frees its seat and promotes rank 3, not rank 4.
    withdrawal = await applications.post(
        f"/applications/{ranked[0]}/withdrawal", json={"reason": "Joined another accelerator"}
    )
    assert withdrawal.status_code == 200, withdrawal.text

    expected = {
        ranked[0]: "withdrawn",
        ranked[1]: "enrolled",
        ranked[2]: "enrolled",
        ranked[3]: "waitlisted",
    }
    await eventually(lambda: statuses_become(expected), what="the best reserve promoted")

    promoted = await read_until(
        local_stack.kafka,
        "programs.enrollments",
        lambda r: r.key == cohort_code.encode() and b"enrollment.promoted" in r.value,
        count=1,
    )
    (event,) = [json.loads(r.value) for r in promoted]
    assert event["data"]["application_id"] == ranked[2]
    assert event["data"]["rank"] == 3
    assert event["data"]["seats_taken"] == 2
    assert event["data"]["agreement_due_at"] is not None

    # Every step programs published for this cohort kept confirmed ≤ seats.
    steps = await read_until(
        local_stack.kafka,
        "programs.enrollments",
        lambda r: r.key == cohort_code.encode(),
        count=6,  # 2 confirmed, 2 waitlisted, 1 cancelled, 1 promoted (cohort.filled may add)
    )
    for step in steps:
        data = json.loads(step.value)["data"]
        assert data["seats_taken"] <= data["seats"], data

    history = (await applications.get(f"/applications/{ranked[2]}")).json()["history"]
    assert [h["to_status"] for h in history if h["action"] == "status"] == [
        "received",
        "accepted",
        "waitlisted",
        "enrolled",
    ]
