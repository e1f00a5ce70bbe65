"""kill -9 in the middle of the flow, restart, and the end state is as if nothing happened:
no lost application, no second seat, no second e-mail (a resend carries the same Message-ID)."""

from __future__ import annotations

import json

import httpx
import pytest

from aihub_local.platform import PlatformServices
from aihub_local.stack import StackEndpoints
from aihub_local.testing import eventually
from tests.e2e.conftest import mails_to, unique
from tests.e2e.kafka_io import as_bytes, header, publish, read_until, submitted_event

pytestmark = pytest.mark.integration

# Ten distinct valid business registration numbers (check digit computed), one per startup.
BRNS = [
    "1018143368", "2208162517", "1048100335", "1068600127", "1208147521",
    "1138600917", "2148705304", "1078136453", "2118859093", "1298613246",
]  # fmt: skip


def test_the_numbers_are_valid() -> None:
    from aihub_shared.contracts.values import is_valid_business_registration_number

    assert all(is_valid_business_registration_number(b) for b in BRNS)
    assert len(set(BRNS)) == len(BRNS)


async def test_intake_survives_a_kill_in_the_middle_of_a_burst(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    open_cohort: dict[str, str],
) -> None:
    tag = unique("burst")
    submissions = [f"{tag}-{n}" for n in range(len(BRNS))]
    await publish(
        local_stack.kafka_bootstrap,
        "intake.applications",
        [
            (
                sid.encode(),
                as_bytes(
                    submitted_event(
                        sid,
                        program_code=open_cohort["program"],
                        cohort_code=open_cohort["cohort"],
                        contact_email=f"{sid}@startup.example",
                        startup_name=f"Burst {n}",
                        brn=brn,
                    )
                ),
                [],
            )
            for n, (sid, brn) in enumerate(zip(submissions, BRNS, strict=True))
        ],
    )
    # Kill as soon as the first receipt is out: the rest of the burst is in flight somewhere
    # between fetched, applied, committed and published.
    await read_until(
        local_stack.kafka_bootstrap,
        "intake.receipts",
        lambda r: (r.key or b"").decode().startswith(tag),
        count=1,
    )
    platform.process("applications").kill()
    platform.start("applications")

    receipts = await read_until(
        local_stack.kafka_bootstrap,
        "intake.receipts",
        lambda r: (r.key or b"").decode().startswith(tag),
        count=len(submissions),
        within=90,
    )
    # The relay may publish a receipt twice after a crash (at least once); consumers deduplicate
    # by event id, so count distinct events.
    distinct = {header(r, "ce_id"): json.loads(r.value)["data"] for r in receipts}
    by_submission = {d["submission_id"]: d for d in distinct.values()}
    assert sorted(by_submission) == sorted(submissions)
    assert len(distinct) == len(submissions), "one receipt event per submission"
    assert {d["outcome"] for d in distinct.values()} == {"accepted"}

    listed = (
        await staff["applications"].get(
            "/applications", params={"cohort_code": open_cohort["cohort"], "limit": 100}
        )
    ).json()
    stored = {a["submission_id"]: a["id"] for a in listed}
    assert stored == {sid: by_submission[sid]["application_id"] for sid in submissions}


async def test_enrollment_and_mails_survive_killing_programs_and_notifications(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    open_cohort: dict[str, str],
) -> None:
    submission_id = unique("crash")
    applicant_email = f"{unique('founder')}@startup.example"
    await publish(
        local_stack.kafka_bootstrap,
        "intake.applications",
        [
            (
                submission_id.encode(),
                as_bytes(
                    submitted_event(
                        submission_id,
                        program_code=open_cohort["program"],
                        cohort_code=open_cohort["cohort"],
                        contact_email=applicant_email,
                    )
                ),
                [],
            )
        ],
    )
    (receipt,) = await read_until(
        local_stack.kafka_bootstrap,
        "intake.receipts",
        lambda r: r.key == submission_id.encode(),
        count=1,
    )
    application_id = json.loads(receipt.value)["data"]["application_id"]

    correlation_id = unique("crash-decision")
    decided = await staff["applications"].post(
        f"/applications/{application_id}/decision",
        json={"outcome": "accepted", "reason": "Selected", "decided_by": "pm"},
        headers={"X-Correlation-Id": correlation_id},
    )
    assert decided.status_code == 200, decided.text
    # Both downstream services die at once, wherever they are in handling the decision.
    platform.process("programs").kill()
    platform.process("notifications").kill()
    platform.start("programs")
    platform.start("notifications")

    async def enrolled() -> bool:
        detail = (await staff["applications"].get(f"/applications/{application_id}")).json()
        return bool(detail["status"] == "enrolled")

    await eventually(enrolled, within=90, what="enrollment after the restart")
    cohort = (await staff["programs"].get(f"/cohorts/{open_cohort['cohort']}")).json()
    assert [e["application_id"] for e in cohort["enrollments"]].count(application_id) == 1

    sent = await read_until(
        local_stack.kafka_bootstrap,
        "notifications.deliveries",
        lambda r: header(r, "ce_correlationid") == correlation_id,
        count=2,
        within=90,
    )
    templates = {json.loads(r.value)["data"]["template"] for r in sent}
    assert templates == {"enrollment_confirmed_applicant", "enrollment_confirmed_manager"}
    for address in (applicant_email, open_cohort["manager_email"]):
        message_ids = {m["Message-ID"] for m in mails_to(local_stack.mail_dir, address)}
        assert len(message_ids) == 1, (address, message_ids)
