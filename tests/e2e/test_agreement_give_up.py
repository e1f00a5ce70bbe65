"""협약 포기 through the running services: two startups selected for one seat (rank 1 seated,
rank 2 the reserve), the manager records that rank 1 gave up its agreement over HTTP, and over
Kafka rank 2 is promoted, applications follows both, and notifications tells each startup by
mail (the one that gave up that its seat went to the reserve; the promoted one to sign)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from aihub_local.platform import PlatformServices
from aihub_local.stack import StackEndpoints
from aihub_local.testing import eventually
from tests.e2e.kafka_io import receipt_for, submit, submitted_event
from tests.e2e.review_flow import select_for_cohort
from tests.e2e.support import business_number, unique

pytestmark = pytest.mark.integration


async def test_a_startup_giving_up_its_agreement_is_replaced_and_both_are_told(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    open_cohort: dict[str, str],
) -> None:
    founders, applications = [], []
    for n in range(3):  # the test cohort has two seats: ranks 1 and 2 seated, rank 3 waits
        founder = f"{unique(f'founder{n}')}@startup.example"
        submission = unique("give-up")
        event = submitted_event(
            submission,
            program_code=open_cohort["program"],
            cohort_code=open_cohort["cohort"],
            contact_email=founder,
            brn=business_number(n + 700),
        )
        await submit(local_stack.kafka, event)
        applications.append((await receipt_for(local_stack.kafka, submission))["application_id"])
        founders.append(founder)
    await select_for_cohort(staff["applications"], applications)
    first, _, reserve = applications

    async def status_of(application_id: str) -> str:
        detail: dict[str, Any] = (
            await staff["applications"].get(f"/applications/{application_id}")
        ).json()
        return str(detail["status"])

    async def seated() -> bool:
        return await status_of(first) == "enrolled"

    await eventually(seated, what="rank 1 seated")
    gave_up = await staff["programs"].post(
        f"/enrollments/{first}/agreement/give-up", json={"reason": "해외 법인 설립"}
    )
    assert gave_up.status_code == 200, gave_up.text
    assert gave_up.json()["status"] == "cancelled"

    async def replaced() -> bool:
        return await status_of(reserve) == "enrolled"

    await eventually(replaced, within=60, what="the reserve promoted into the seat")

    async def mailed(address: str, template: str) -> dict[str, Any] | None:
        listed = await staff["notifications"].get(
            "/deliveries", params={"recipient": address, "template": template}
        )
        found: list[dict[str, Any]] = listed.json()
        return found[0] if len(found) == 1 else None

    told = await eventually(
        lambda: mailed(founders[0], "enrollment_cancelled_applicant"),
        within=60,
        what="the startup that gave up told",
    )
    detail = (await staff["notifications"].get(f"/deliveries/{told['id']}")).json()
    body = detail["body_text"]
    assert "gave up its agreement" in body, body  # the founders write in English
    await eventually(
        lambda: mailed(founders[2], "enrollment_promoted_applicant"),
        within=60,
        what="the promoted reserve told",
    )
