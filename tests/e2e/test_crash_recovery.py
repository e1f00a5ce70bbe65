"""kill -9 at the worst moments, restart, and the end state is as if nothing happened: no lost
application, no second seat, no second e-mail. Failpoints (`AIHUB_FAILPOINT`) put the kill exactly
between the database commit and the offset commit, or between publishing and marking published."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from aihub_local.platform import PlatformServices
from aihub_local.stack import StackEndpoints
from aihub_local.testing import eventually, header, mails_to, publish, read_until
from aihub_shared.contracts.registry import contract
from aihub_shared.runtime.failpoints import ENV as FAILPOINT
from tests.e2e.kafka_io import as_bytes, receipt_for, submit, submitted_event
from tests.e2e.support import business_number, unique

pytestmark = pytest.mark.integration


async def crashed(platform: PlatformServices, service: str) -> None:
    async def gone() -> bool:
        return not platform.process(service).is_running()

    await eventually(gone, within=60, what=f"{service} to hit its failpoint")
    assert platform.process(service).returncode == -9  # killed by the failpoint, not exited


async def submit_and_read_receipt(
    local_stack: StackEndpoints, open_cohort: dict[str, str], submission_id: str, email: str
) -> str:
    event = submitted_event(
        submission_id,
        program_code=open_cohort["program"],
        cohort_code=open_cohort["cohort"],
        contact_email=email,
    )
    await submit(local_stack.kafka, event)
    application_id: str = (await receipt_for(local_stack.kafka, submission_id))["application_id"]
    return application_id


async def accept(
    staff: dict[str, httpx.AsyncClient], application_id: str, correlation: str
) -> None:
    decided = await staff["applications"].post(
        f"/applications/{application_id}/decision",
        json={"outcome": "accepted", "reason": "Selected"},
        headers={"X-Correlation-Id": correlation},
    )
    assert decided.status_code == 200, decided.text


async def history_of(staff: dict[str, httpx.AsyncClient], application_id: str) -> list[Any]:
    detail = (await staff["applications"].get(f"/applications/{application_id}")).json()
    return [h["to_status"] for h in detail["history"]]


async def assert_one_enrollment_mail_each(
    local_stack: StackEndpoints, correlation: str, addresses: tuple[str, str]
) -> None:
    """Two enrollment deliveries for the decision (the applicant's and the manager's; the
    decision causes other mails too), and each recipient holds theirs once, with no mail twice."""

    def enrollment_mail(record: Any) -> bool:
        # The topic carries other facts too (reminder.sent): the correlation first.
        if header(record, "ce_correlationid") != correlation:
            return False
        return str(json.loads(record.value)["data"].get("template", "")).startswith("enrollment_")

    sent = await read_until(
        local_stack.kafka,
        "notifications.deliveries",
        enrollment_mail,
        count=2,
        within=90,
    )
    assert len({header(r, "ce_id") for r in sent}) == 2
    enrollment_ids = {json.loads(r.value)["data"]["message_id"] for r in sent}
    for address in addresses:
        message_ids = [m["Message-ID"] for m in mails_to(local_stack.mail_dir, address)]
        assert len(set(message_ids)) == len(message_ids), (address, message_ids)
        assert len(enrollment_ids & set(message_ids)) == 1, (address, message_ids)


async def test_intake_crash_between_commit_and_offset_commit(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    open_cohort: dict[str, str],
) -> None:
    platform.process("applications").terminate()
    platform.start(
        "applications",
        extra_env={FAILPOINT: "after-commit:applications.intake", "CONSUMER_BATCH_SIZE": "4"},
    )
    tag = unique("burst")
    submissions = [f"{tag}-{n}" for n in range(12)]
    await publish(
        local_stack.kafka,
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
                        brn=business_number(n),
                    )
                ),
                [],
            )
            for n, sid in enumerate(submissions)
        ],
    )
    await crashed(platform, "applications")
    platform.start("applications")  # the first batch comes again: applied, but not acknowledged

    receipts = await read_until(
        local_stack.kafka,
        "intake.receipts",
        lambda r: (r.key or b"").decode().startswith(tag),
        count=len(submissions),
        within=90,
    )
    by_event = {header(r, "ce_id"): json.loads(r.value)["data"] for r in receipts}
    # Without the inbox the replayed batch would be answered again ("already received"): exactly
    # one receipt event per submission shows the replay changed nothing.
    assert len(by_event) == len(submissions)
    by_submission = {d["submission_id"]: d for d in by_event.values()}
    assert sorted(by_submission) == sorted(submissions)
    assert {d["outcome"] for d in by_event.values()} == {"accepted"}
    listed = (
        await staff["applications"].get(
            "/applications", params={"cohort_code": open_cohort["cohort"], "limit": 100}
        )
    ).json()
    stored = {a["submission_id"]: a["id"] for a in listed if a["submission_id"].startswith(tag)}
    assert stored == {sid: by_submission[sid]["application_id"] for sid in submissions}


async def test_enrollment_and_mail_crash_between_commit_and_offset_commit(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    open_cohort: dict[str, str],
) -> None:
    applicant = f"{unique('founder')}@startup.example"
    application_id = await submit_and_read_receipt(
        local_stack, open_cohort, unique("crash"), applicant
    )
    for service, consumer in (("programs", "lifecycle"), ("notifications", "enrollments")):
        platform.process(service).terminate()
        platform.start(service, extra_env={FAILPOINT: f"after-commit:{service}.{consumer}"})

    correlation = unique("crash-decision")
    await accept(staff, application_id, correlation)
    await crashed(platform, "programs")
    platform.start("programs")
    await crashed(platform, "notifications")
    platform.start("notifications")

    async def enrolled() -> bool:
        return bool((await history_of(staff, application_id))[-1] == "enrolled")

    await eventually(enrolled, within=90, what="enrollment after the restarts")
    assert await history_of(staff, application_id) == ["received", "accepted", "enrolled"]
    confirmed = await read_until(
        local_stack.kafka,
        "programs.enrollments",
        lambda r: header(r, "ce_correlationid") == correlation,
        count=1,
    )
    assert len({header(r, "ce_id") for r in confirmed}) == 1  # the replay published nothing new
    await assert_one_enrollment_mail_each(
        local_stack, correlation, (applicant, open_cohort["manager_email"])
    )


async def test_relay_crash_between_publishing_and_marking(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    open_cohort: dict[str, str],
) -> None:
    applicant = f"{unique('founder')}@startup.example"
    application_id = await submit_and_read_receipt(
        local_stack, open_cohort, unique("relay"), applicant
    )
    platform.process("programs").terminate()
    platform.start("programs", extra_env={FAILPOINT: "after-publish:programs"})

    correlation = unique("relay-decision")
    await accept(staff, application_id, correlation)
    await crashed(platform, "programs")
    platform.start("programs")  # publishes the same outbox row again

    confirmed = await read_until(
        local_stack.kafka,
        "programs.enrollments",
        lambda r: header(r, "ce_correlationid") == correlation,
        count=2,
        within=90,
    )
    assert len({header(r, "ce_id") for r in confirmed}) == 1  # one event, delivered twice

    async def mails_arrived() -> bool:
        return all(
            mails_to(local_stack.mail_dir, a) for a in (applicant, open_cohort["manager_email"])
        )

    await eventually(mails_arrived, within=90, what="both e-mails")
    # The duplicate was consumed by applications and notifications, and changed nothing.
    await assert_one_enrollment_mail_each(
        local_stack, correlation, (applicant, open_cohort["manager_email"])
    )
    assert await history_of(staff, application_id) == ["received", "accepted", "enrolled"]


async def test_kpi_report_crash_between_commit_and_offset_commit(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    open_cohort: dict[str, str],
) -> None:
    # A registration number of its own: a quarter is reported once per startup hub-wide.
    number = business_number(uuid.uuid4().int % 10**8)
    submission = unique("kpi-crash")
    event = submitted_event(
        submission,
        program_code=open_cohort["program"],
        cohort_code=open_cohort["cohort"],
        contact_email=f"{submission}@startup.example",
        brn=number,
    )
    await submit(local_stack.kafka, event)
    application_id = (await receipt_for(local_stack.kafka, submission))["application_id"]
    await accept(staff, application_id, unique("kpi-decision"))

    async def enrolled() -> bool:
        return bool((await history_of(staff, application_id))[-1] == "enrolled")

    await eventually(enrolled, within=90, what="the startup enrolled")

    platform.process("programs").terminate()
    platform.start("programs", extra_env={FAILPOINT: "after-commit:programs.kpi-reports"})
    source = "/partners/" + unique("kpi-portal")
    reports = {f"{submission}-q{q}": (f"2027-Q{q}", q * 1_000_000) for q in (1, 2, 3)}
    await publish(
        local_stack.kafka,
        "intake.kpi-reports",
        [
            (
                report_id.encode(),
                as_bytes(
                    {
                        "specversion": "1.0",
                        "id": str(uuid.uuid4()),
                        "source": source,
                        "type": contract("startup.kpi_reported").type,
                        "time": "2027-10-02T09:00:00+09:00",
                        "subject": report_id,
                        "data": {
                            "report_id": report_id,
                            "business_registration_number": number,
                            "cohort_code": open_cohort["cohort"],
                            "quarter": quarter,
                            "revenue_krw": revenue,
                            "investment_raised_krw": 0,
                            "headcount": 10,
                        },
                    }
                ),
                [],
            )
            for report_id, (quarter, revenue) in reports.items()
        ],
    )
    await crashed(platform, "programs")
    platform.start("programs")  # the batch comes again: stored, but not acknowledged

    receipts = await read_until(
        local_stack.kafka,
        "intake.receipts",
        lambda r: (r.key or b"").decode() in reports,
        count=len(reports),
        within=90,
    )
    # One receipt event per report: the replayed batch was recognised, not answered again.
    by_event = {header(r, "ce_id"): json.loads(r.value)["data"] for r in receipts}
    assert sorted(d["report_id"] for d in by_event.values()) == sorted(reports)
    assert {d["outcome"] for d in by_event.values()} == {"accepted"}
    totals = (await staff["programs"].get(f"/cohorts/{open_cohort['cohort']}/outcomes")).json()
    assert totals["cumulative_revenue_krw"] == 6_000_000  # each quarter counted once
    assert totals["companies_supported"] == 1
