"""One application through all three services, as separate OS processes, on real parts."""

from __future__ import annotations

import json
from email.header import decode_header, make_header
from typing import Any

import httpx
import pytest

from aihub_local.platform import PlatformServices
from aihub_local.stack import StackEndpoints
from aihub_local.testing import eventually, header, mails_to, publish, read_until, staff_token
from tests.e2e.kafka_io import as_bytes, receipt_for, submit, submitted_event
from tests.e2e.review_flow import review_and_select, select_for_cohort
from tests.e2e.support import business_number, unique

pytestmark = pytest.mark.integration


async def test_submission_to_enrollment_emails_exactly_once(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    open_cohort: dict[str, str],
) -> None:
    applications = staff["applications"]
    submission_id = unique("sub")
    applicant_email = f"{unique('founder')}@startup.example"
    event = submitted_event(
        submission_id,
        program_code=open_cohort["program"],
        cohort_code=open_cohort["cohort"],
        contact_email=applicant_email,
    )
    resent = {**event, "id": f"{event['id']}-resent"}  # same submission, new event id
    await publish(
        local_stack.kafka,
        "intake.applications",
        [
            (submission_id.encode(), as_bytes(event), []),
            (submission_id.encode(), as_bytes(event), []),  # the very same event twice
            (submission_id.encode(), as_bytes(resent), []),
        ],
    )

    # Each distinct event gets a receipt, and both name the one application.
    receipts = await read_until(
        local_stack.kafka,
        "intake.receipts",
        lambda r: r.key == submission_id.encode(),
        count=2,
    )
    bodies = [json.loads(r.value)["data"] for r in receipts]
    assert {b["outcome"] for b in bodies} == {"accepted"}
    application_id = bodies[0]["application_id"]
    assert {b["application_id"] for b in bodies} == {application_id}

    listed = (
        await applications.get("/applications", params={"cohort_code": open_cohort["cohort"]})
    ).json()
    assert [a["id"] for a in listed] == [application_id]
    assert listed[0]["status"] == "received"

    correlation_id = unique("decision")
    decided = await select_for_cohort(
        applications,
        [application_id],
        reason="Top score in presentation review",
        correlation_id=correlation_id,
    )
    assert decided == [{"application_id": application_id, "status": "accepted"}]

    async def enrolled() -> dict[str, Any] | None:
        response = await applications.get(f"/applications/{application_id}")
        detail: dict[str, Any] = response.json()
        return detail if detail["status"] == "enrolled" else None

    detail = await eventually(enrolled, what="the application to follow enrollment.confirmed")
    history = [h["to_status"] for h in detail["history"]]
    assert history == ["received", "accepted", "enrolled"]
    assert detail["rank"] == 1

    cohort = (await staff["programs"].get(f"/cohorts/{open_cohort['cohort']}")).json()
    assert cohort["seats_taken"] == 1
    listed = await staff["programs"].get(f"/cohorts/{open_cohort['cohort']}/enrollments")
    assert [e["application_id"] for e in listed.json()] == [application_id]

    # The enrollment mails, one to the applicant and one to the manager, are recorded as sent
    # (email.sent on notifications.deliveries; the decision causes other mails too) ...
    def enrollment_mail(record: Any) -> bool:
        # The topic carries other facts too (reminder.sent): the correlation first.
        if header(record, "ce_correlationid") != correlation_id:
            return False
        return str(json.loads(record.value)["data"].get("template", "")).startswith("enrollment_")

    sent = [
        json.loads(r.value)["data"]
        for r in await read_until(
            local_stack.kafka, "notifications.deliveries", enrollment_mail, count=2
        )
    ]
    by_recipient = {d["template"].rsplit("_", 1)[1]: d for d in sent}
    assert sorted(by_recipient) == ["applicant", "manager"], sent

    # ... and each recipient holds each of their mails exactly once.
    inboxes = {
        "applicant": mails_to(local_stack.mail_dir, applicant_email),
        "manager": mails_to(local_stack.mail_dir, open_cohort["manager_email"]),
    }
    for recipient, mails in inboxes.items():
        message_ids = [m["Message-ID"] for m in mails]
        assert len(set(message_ids)) == len(message_ids), (recipient, message_ids)
        (enrollment,) = [
            m for m in mails if m["Message-ID"] == by_recipient[recipient]["message_id"]
        ]
        assert "Deep Harbor AI" in str(make_header(decode_header(enrollment["Subject"])))


async def test_staged_review_seats_the_best_ranks_and_a_withdrawal_frees_the_seat(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    open_cohort: dict[str, str],
) -> None:
    applications = staff["applications"]
    tag = unique("staged")
    ids = []
    for n in range(3):
        event = submitted_event(
            f"{tag}-{n}",
            program_code=open_cohort["program"],
            cohort_code=open_cohort["cohort"],
            contact_email=f"{tag}-{n}@startup.example",
            startup_name=f"Staged {n}",
            brn=business_number(9000 + n),
        )
        await submit(local_stack.kafka, event)
        ids.append((await receipt_for(local_stack.kafka, f"{tag}-{n}"))["application_id"])

    def reviewer_token(email: str) -> str:
        return staff_token(email)  # no realm role: a reviewer by their assignments

    # Final scores (30/70): 73.7, 90, 81 → ids[1] and ids[2] take the two seats; no reserve.
    outcomes = await review_and_select(
        applications,
        open_cohort["cohort"],
        {ids[0]: (80, 71), ids[1]: (90, 90), ids[2]: (60, 90)},
        reviewer_token=reviewer_token,
        reserve=0,
    )
    by_id = {o["application_id"]: o for o in outcomes}
    assert [by_id[a]["rank"] for a in ids] == [None, 1, 2]
    assert "outside the 2 seats" in by_id[ids[0]]["reason"]

    seen: list[str] = []

    async def statuses_are(*expected: str) -> bool:
        seen[:] = [(await applications.get(f"/applications/{a}")).json()["status"] for a in ids]
        return seen == list(expected)

    async def settled() -> bool:
        return await statuses_are("rejected", "enrolled", "enrolled")

    await eventually(settled, what="the two best ranks enrolled")
    cohort = (await staff["programs"].get(f"/cohorts/{open_cohort['cohort']}")).json()
    assert cohort["seats_taken"] == 2

    withdrawn = await applications.post(
        f"/applications/{ids[1]}/withdrawal", json={"reason": "The founder accepted another offer"}
    )
    assert withdrawn.status_code == 200, withdrawn.text

    async def seat_freed() -> bool:
        programs = (await staff["programs"].get(f"/cohorts/{open_cohort['cohort']}")).json()
        return bool(programs["seats_taken"] == 1)

    await eventually(seat_freed, what="programs to free the withdrawn startup's seat")
    # The cancellation the withdrawal caused changed nothing here.
    assert await statuses_are("rejected", "withdrawn", "enrolled"), seen
    history = (await applications.get(f"/applications/{ids[1]}")).json()["history"]
    assert [h["to_status"] for h in history if h["action"] == "status"] == [
        "received",
        "accepted",
        "enrolled",
        "withdrawn",
    ]
