"""Ops resend a mail from the console: the applicant's receipt of a fresh application, found by
its recipient among the deliveries, opened with its attempts, sent again — a second mail reaches
the SMTP capture as a new delivery that names the first. axe-core and a screenshot on every
page."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.async_api import expect

from aihub_local.stack import StackEndpoints
from tests.browser.conftest import Screenshot, SignedIn
from tests.browser.ops_support import OPS, applicant_of, mails_of, publish_received, seeded_cohort
from tests.browser.support import assert_accessible, console_link

TEMPLATE = "application_received_applicant"


async def test_ops_resend_a_delivery(
    signed_in: SignedIn,
    screenshot: Screenshot,
    console: str,
    local_stack: StackEndpoints,
    tmp_path: Path,
) -> None:
    cohort = await seeded_cohort(local_stack, tmp_path)
    application = str(uuid.uuid4())
    applicant = applicant_of(application)
    await publish_received(local_stack, cohort, application)
    (first,) = await mails_of(local_stack, applicant, TEMPLATE)
    # The cohort's manager was told too, with a link to the application in this very console
    # (the launcher gives notifications the console's address as CONSOLE_BASE_URL).
    told = await mails_of(local_stack, cohort.manager_email, "application_received_manager")
    assert console_link(told, console, "/applications/") == f"{console}/applications/{application}"

    page = await signed_in(OPS)
    await page.goto(f"/ops/deliveries?recipient={applicant}")
    rows = page.locator("main tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("발송됨")
    await assert_accessible(page)
    await screenshot(page, "ops-deliveries")

    await rows.first.get_by_role("link").click()
    await page.wait_for_url(lambda url: "/ops/deliveries/" in url)
    original = page.url
    await expect(page.locator("main")).to_contain_text(str(first["Message-ID"]).strip("<>"))
    await assert_accessible(page)
    await screenshot(page, "ops-delivery")

    await page.get_by_role("button", name="다시 보내기").click()
    await page.wait_for_url(lambda url: "/ops/deliveries/" in url and url != original)
    await expect(page.get_by_text("새 발송으로 다시 보냈습니다.")).to_be_visible()
    await expect(page.locator("main")).to_contain_text(original.rsplit("/", 1)[1])
    await assert_accessible(page)
    await screenshot(page, "ops-delivery-resent")

    again = await mails_of(local_stack, applicant, TEMPLATE, count=2)
    assert len({str(m["Message-ID"]) for m in again}) == 2
    assert {str(m["Subject"]) for m in again} == {str(first["Subject"])}
