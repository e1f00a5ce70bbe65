"""Erasing a person across the three services, by event, with one receipt (issue 15).

A founder applies, is reviewed (with a comment naming them), selected, enrolled, mailed, and
their startup reports its figures. Then a publishing system asks for their erasure; notifications
is killed (-9) right after committing its part. Afterwards no text column of any service's schema
(nor any outbox row) holds their name, address or registration number, the hub's outcomes are
unchanged, the receipt came once, and asking again changes nothing. No service ever logged their
data, and no log line of any service holds a full e-mail address.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace

import asyncpg
import httpx
import pytest

from aihub_local.platform import PlatformServices
from aihub_local.stack import StackEndpoints
from aihub_local.testing import eventually, mails_to, publish, read_until
from aihub_shared.runtime.failpoints import ENV as FAILPOINT
from tests.e2e.kafka_io import receipt_for, submit, submitted_event
from tests.e2e.privacy_io import (
    ADDRESS,
    PORTAL,
    SCHEMAS,
    erasure_request,
    export_with_the_command,
    places_holding,
    request_erasure,
    review_with_a_comment,
    service_logs,
)
from tests.e2e.programs_io import kpi_report_event
from tests.e2e.review_flow import select_for_cohort
from tests.e2e.support import business_number, unique

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Founder:
    name: str
    email: str
    startup: str
    brn: str
    application_id: str = ""

    @property
    def secrets(self) -> list[str]:
        return [self.name, self.email, self.startup, self.brn]


async def applies(local_stack: StackEndpoints, open_cohort: dict[str, str]) -> Founder:
    founder = Founder(
        name=f"Erasa {uuid.uuid4().hex[:8]}",
        email=f"{unique('erased')}@startup.example",
        startup=f"Forgotten Labs {uuid.uuid4().hex[:6]}",
        brn=business_number(uuid.uuid4().int % 10**6),
    )
    submission_id = unique("erase-sub")
    event = submitted_event(
        submission_id,
        program_code=open_cohort["program"],
        cohort_code=open_cohort["cohort"],
        contact_email=founder.email,
        startup_name=founder.startup,
        brn=founder.brn,
    )
    event["data"]["contact"]["name"] = founder.name
    await submit(local_stack.kafka, event)
    receipt = await receipt_for(local_stack.kafka, submission_id)
    return replace(founder, application_id=receipt["application_id"])


async def is_reviewed_enrolled_mailed_and_reports(
    local_stack: StackEndpoints,
    staff: dict[str, httpx.AsyncClient],
    open_cohort: dict[str, str],
    founder: Founder,
) -> None:
    applications, cohort = staff["applications"], open_cohort["cohort"]
    await review_with_a_comment(
        applications, cohort, founder.application_id, f"{founder.name} pitched well"
    )
    await select_for_cohort(
        applications, [founder.application_id], reason=f"{founder.startup}: best fit"
    )

    async def enrolled() -> bool:
        detail = (await applications.get(f"/applications/{founder.application_id}")).json()
        return bool(detail["status"] == "enrolled")

    await eventually(enrolled, within=90, what="the founder's enrollment")
    report_id = unique("kpi")
    report = {
        "report_id": report_id,
        "business_registration_number": founder.brn,
        "cohort_code": cohort,
        "quarter": "2027-Q1",
        "revenue_krw": 123_000_000,
        "investment_raised_krw": 50_000_000,
        "headcount": 7,
    }
    await publish(
        local_stack.kafka,
        "intake.kpi-reports",
        [(report_id.encode(), kpi_report_event(report, source=PORTAL), [])],
    )

    async def mailed_and_reported() -> bool:
        totals = (await staff["programs"].get(f"/cohorts/{cohort}/outcomes")).json()
        return bool(mails_to(local_stack.mail_dir, founder.email)) and totals["reports"] == 1

    await eventually(mailed_and_reported, within=90, what="a mail to the founder and the report")


async def assert_the_export_holds_everything(platform: PlatformServices, founder: Founder) -> None:
    """An access request: `aihub-privacy export` joins what each service holds."""
    parts = (await export_with_the_command(platform, email=founder.email))["services"]
    assert parts["applications"]["application_ids"] == [founder.application_id]
    (stored,) = parts["applications"]["records"]["applications"]
    contact = {"name": founder.name, "email": founder.email, "locale": "en"}
    assert stored["submission"]["contact"] == contact
    assert any(r["comment"] for r in parts["applications"]["records"]["review_assignments"])
    (enrollment,) = parts["programs"]["records"]["enrollments"]
    assert enrollment["business_registration_number"] == founder.brn
    assert [r["revenue_krw"] for r in parts["programs"]["records"]["kpi_reports"]] == [123_000_000]
    assert parts["notifications"]["records"]["applicants"][0]["contact_email"] == founder.email
    recipients = {d["recipient"] for d in parts["notifications"]["records"]["deliveries"]}
    assert recipients == {founder.email}


async def erase_while_notifications_dies(
    local_stack: StackEndpoints, platform: PlatformServices, founder: Founder
) -> str:
    """notifications dies (-9) right after committing its erasure, before its offset commit;
    restarted, the receipt still comes. Returns the request id."""
    platform.process("notifications").terminate()
    platform.start("notifications", extra_env={FAILPOINT: "after-commit:notifications.erasures"})
    request_id = unique("erase")
    await request_erasure(local_stack, erasure_request(request_id, email=founder.email))

    async def crashed() -> bool:
        return not platform.process("notifications").is_running()

    await eventually(crashed, within=90, what="notifications to hit its failpoint")
    assert platform.process("notifications").returncode == -9
    platform.start("notifications")
    (receipt,) = await read_until(
        local_stack.kafka,
        "intake.receipts",
        lambda r: r.key == request_id.encode(),
        count=1,
        within=120,
    )
    body = json.loads(receipt.value)["data"]
    assert body["outcome"] == "erased"
    assert body["submitted_by"] == PORTAL
    assert sorted(body["services"]) == sorted(SCHEMAS)
    assert body["applications"] == 1
    return request_id


async def assert_asking_again_is_harmless(
    local_stack: StackEndpoints,
    applications: httpx.AsyncClient,
    founder: Founder,
    request_id: str,
) -> None:
    """The same request again (a new event): nothing changes, no second receipt. A new request
    by application id: a harmless second erasure with its own receipt."""
    repeat = erasure_request(request_id, email=founder.email)
    await request_erasure(local_stack, repeat)
    again = unique("erase-again")
    anew = erasure_request(again, application_ids=[founder.application_id])
    await request_erasure(local_stack, anew)
    await read_until(
        local_stack.kafka,
        "intake.receipts",
        lambda r: r.key == again.encode(),
        count=1,
        within=120,
    )
    conn = await asyncpg.connect(local_stack.postgres_admin_dsn)
    try:

        async def repeat_handled() -> bool:
            handled = await conn.fetchval(
                "SELECT true FROM applications.inbox"
                " WHERE consumer = 'applications.erasure-requests' AND message_key = $1",
                f"{PORTAL}|{repeat['id']}",
            )
            return bool(handled)

        await eventually(repeat_handled, what="the repeated request to be handled")
        receipts = await conn.fetchval(
            "SELECT count(*) FROM applications.outbox WHERE key = $1 AND event_type LIKE $2",
            request_id.encode(),
            "%erasure.receipt%",
        )
    finally:
        await conn.close()
    assert receipts == 1
    status = await applications.get(
        f"/privacy/erasures/{request_id}", params={"requested_by": PORTAL}
    )
    assert status.status_code == 200, status.text
    assert status.json()["confirmed_by"] == sorted(SCHEMAS)
    assert status.json()["completed_at"] is not None


def assert_no_log_holds_personal_data(local_stack: StackEndpoints, founder: Founder) -> None:
    """Nothing of theirs was ever logged, by any service, and no full address of anyone is."""
    logs = {p.name: p.read_text(errors="replace") for p in service_logs(local_stack)}
    assert set(logs) >= {f"{service}.log" for service in SCHEMAS}
    assert founder.application_id in logs["applications.log"]  # the flow was logged
    leaks = [(name, s) for name, text in logs.items() for s in founder.secrets if s in text]
    assert leaks == []
    unmasked = {a for text in logs.values() for a in ADDRESS.findall(text) if "***@" not in a}
    assert unmasked == set()


async def test_an_erased_founder_is_gone_from_every_service_and_the_receipt_comes_once(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    open_cohort: dict[str, str],
) -> None:
    programs, cohort = staff["programs"], open_cohort["cohort"]
    founder = await applies(local_stack, open_cohort)
    await is_reviewed_enrolled_mailed_and_reports(local_stack, staff, open_cohort, founder)
    hub_before = (await programs.get("/outcomes")).json()
    cohort_before = (await programs.get(f"/cohorts/{cohort}/outcomes")).json()
    assert await places_holding(local_stack, founder.secrets), "the flow stored their data"
    await assert_the_export_holds_everything(platform, founder)

    request_id = await erase_while_notifications_dies(local_stack, platform, founder)

    assert await places_holding(local_stack, founder.secrets) == []
    after = await export_with_the_command(platform, application_id=founder.application_id)
    assert not [s for s in founder.secrets if s in json.dumps(after)]
    assert founder.application_id in json.dumps(after)  # what stays (legal holds) is shown
    assert (await programs.get("/outcomes")).json() == hub_before
    assert (await programs.get(f"/cohorts/{cohort}/outcomes")).json() == cohort_before
    await assert_asking_again_is_harmless(local_stack, staff["applications"], founder, request_id)
    assert await places_holding(local_stack, founder.secrets) == []
    assert_no_log_holds_personal_data(local_stack, founder)
