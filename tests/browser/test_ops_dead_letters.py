"""Ops replay a real dead letter in the console: notifications dead-letters a rejection of an
application it never received; once the receipt arrives (the cause fixed), ops find the dead
letter by its topic, read its reason, confirm the replay, watch it being handled — and the
rejection mail it owed reaches the applicant. The health, outbox and staff pages on the way;
axe-core and a screenshot on every page."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from aihub_local.platform import PlatformServices
from aihub_local.stack import StackEndpoints
from aihub_local.testing import eventually
from tests.browser.conftest import Screenshot, SignedIn
from tests.browser.ops_support import (
    OPS,
    Cohort,
    applicant_of,
    mails_of,
    publish_lifecycle,
    publish_received,
    seeded_cohort,
    staff_get,
)
from tests.browser.support import assert_accessible
from tests.e2e.programs_io import accepted_data
from tests.e2e.support import business_number

DLQ = "applications.lifecycle.dlq"


async def visit(page: Page, path: str, screenshot: Screenshot, name: str) -> None:
    await page.goto(path)
    await assert_accessible(page)
    await screenshot(page, name)


async def subscribe_to_dead_letter_alerts(page: Page, screenshot: Screenshot) -> None:
    """Ops put themselves in the directory and subscribe to the alerts; a subscription the
    service refuses (alerts for one program only) shows its reason."""
    await page.get_by_label("이메일").fill(OPS.email)
    await page.get_by_label("이름").fill(OPS.name)
    await page.get_by_label("역할").select_option("ops")
    await page.get_by_role("button", name="구성원 저장").click()
    await expect(page.get_by_text(f"{OPS.email} 저장했습니다.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=OPS.email)
    await expect(row.get_by_role("cell").nth(2)).to_have_text("운영")  # the role's name, not `ops`
    await row.get_by_label("추가").select_option("dead_letters")
    await row.get_by_label("대상 프로그램").fill("growth-residency")
    await row.get_by_role("button", name="구독 저장").click()
    await expect(page.locator(".flash-error")).to_contain_text(
        "dead_letters alerts are for every program"
    )
    row = page.get_by_role("row").filter(has_text=OPS.email)
    await row.get_by_label("추가").select_option("dead_letters")
    await row.get_by_role("button", name="구독 저장").click()
    row = page.get_by_role("row").filter(has_text=OPS.email)
    await expect(row).to_contain_text("dead_letters — 모든 프로그램")
    await assert_accessible(page)
    await screenshot(page, "ops-staff-subscribed")


async def reject_before_receipt(
    local_stack: StackEndpoints, platform: PlatformServices, cohort: Cohort, n: int
) -> tuple[str, dict[str, Any]]:
    """A rejection published before its receipt: notifications cannot mail it to nobody and
    dead-letters it. The application and its dead letter, as notifications lists it."""
    application = str(uuid.uuid4())
    decided = accepted_data(
        application, program=cohort.program, cohort=cohort.cohort, rank=None, brn=business_number(n)
    )
    rejection = {**decided, "reason": "서류평가 기준 점수 미달"}
    event_id = await publish_lifecycle(local_stack, cohort, "application.rejected", rejection)

    async def dead_lettered() -> dict[str, Any] | None:
        listed = await staff_get(platform.url("notifications"), "/ops/dead-letters", {"topic": DLQ})
        return next((d for d in listed["items"] if d["event_id"] == event_id), None)

    letter = await eventually(dead_lettered, within=120, what="the rejection's dead letter")
    assert letter["consumer"] == "notifications.lifecycle"
    return application, letter


async def test_ops_replay_dead_letters_and_they_are_handled_once(
    signed_in: SignedIn,
    screenshot: Screenshot,
    console: str,
    local_stack: StackEndpoints,
    platform: PlatformServices,
    browser_console: dict[Page, list[str]],
    tmp_path: Path,
) -> None:
    cohort = await seeded_cohort(local_stack, tmp_path)
    first, letter = await reject_before_receipt(local_stack, platform, cohort, 7)
    second, other = await reject_before_receipt(local_stack, platform, cohort, 8)
    # The cause, fixed: the receipts arrive (and are mailed to the applicants).
    for application in (first, second):
        await publish_received(local_stack, cohort, application)
        await mails_of(local_stack, applicant_of(application), "application_received_applicant")

    page = await signed_in(OPS)
    await visit(page, "/ops/health", screenshot, "ops-health")
    await expect(page.get_by_role("row", name="notifications")).to_contain_text("정상")
    await visit(page, "/ops/outbox", screenshot, "ops-outbox")
    await expect(page.locator(".page-error")).to_have_count(0)
    await visit(page, "/ops/staff", screenshot, "ops-staff")
    await subscribe_to_dead_letter_alerts(page, screenshot)

    # One, from its own page: the reason, a confirmed replay, the result.
    await visit(page, f"/ops/dead-letters?topic={DLQ}", screenshot, "ops-dead-letters")
    await expect(page.locator(".page-error")).to_have_count(0)  # every service answered
    where = f"/ops/dead-letters/{DLQ}/{letter['partition']}/{letter['offset']}"
    await page.locator(f"a[href='{where}']").click()
    await page.wait_for_url(f"{console}{where}")
    await expect(page.locator("main")).to_contain_text("was never received")
    await assert_accessible(page)
    await screenshot(page, "ops-dead-letter")
    await page.get_by_label("원인을 고쳤습니다", exact=False).check()
    await page.get_by_role("button", name="다시 처리").click()
    await expect(page.locator("#replay-result")).to_contain_text("적용됨")
    await assert_accessible(page)
    await screenshot(page, "ops-dead-letter-replayed")
    await mails_of(local_stack, applicant_of(first), "application_rejected_applicant")
    await page.reload()
    await expect(page.locator("main table").first).to_contain_text(OPS.email)

    # Both, from the list, with progress: the first again changes nothing, the second applies.
    await page.goto(f"/ops/dead-letters?topic={DLQ}")
    for chosen in (letter, other):
        await page.get_by_label(f"{DLQ}:{chosen['partition']}:{chosen['offset']} 선택").check()
    await page.get_by_label("원인을 고쳤습니다", exact=False).check()
    await page.get_by_role("button", name="선택한 메시지 다시 처리").click()
    # A long operation, shown as it goes: each step reads the dead letter from Kafka.
    done = page.locator("#batch-status")
    await expect(done).to_contain_text("2건 중 2건 처리 — 완료", timeout=60_000)
    results = page.locator("#batch-results")
    await expect(results).to_contain_text("이미 반영됨")
    await expect(results).to_contain_text("적용됨")
    await assert_accessible(page)
    await screenshot(page, "ops-dead-letters-replayed")
    await mails_of(local_stack, applicant_of(second), "application_rejected_applicant")
    # Exactly once: the first rejection's mail was not written again.
    repeated = await mails_of(local_stack, applicant_of(first), "application_rejected_applicant")
    assert len(repeated) == 1
    assert not [m for m in browser_console[page] if "Content Security Policy" in m]
