"""The outcomes page shows what programs answers: a fresh cohort with one enrolled startup and
its quarterly KPI report, then the whole hub — the headline figures equal `GET /outcomes`'s, the
charts are drawn by Chart.js under the console's CSP, and each has a table saying the same.
axe-core and a screenshot on every page."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from aihub_local.platform import PlatformServices
from aihub_local.stack import StackEndpoints
from aihub_local.testing import StaffAccount, eventually, publish
from tests.browser.conftest import Screenshot, SignedIn
from tests.browser.ops_support import publish_lifecycle, publish_received, seeded_cohort, staff_get
from tests.browser.support import assert_accessible
from tests.e2e.programs_io import accepted_data, kpi_report_event
from tests.e2e.support import business_number, unique

MANAGER = StaffAccount("console-outcomes@hub.example", name="Outcomes Reader")
FIGURES = {
    "companies-supported": "companies_supported",
    "cumulative-revenue": "cumulative_revenue_krw",
    "cumulative-investment": "cumulative_investment_krw",
    "latest-headcount": "latest_headcount",
}


async def shows_figures(page: Page, answer: dict[str, Any]) -> None:
    for element, field in FIGURES.items():
        await expect(page.locator(f"#{element}")).to_contain_text(f"{answer[field]:,}")


async def test_outcomes_show_the_programs_figures_with_charts(
    signed_in: SignedIn,
    screenshot: Screenshot,
    console: str,
    local_stack: StackEndpoints,
    platform: PlatformServices,
    browser_console: dict[Page, list[str]],
    tmp_path: Path,
) -> None:
    cohort = await seeded_cohort(local_stack, tmp_path)
    application, brn = str(uuid.uuid4()), business_number(int(uuid.uuid4().int % 10**6))
    await publish_received(local_stack, cohort, application)
    accepted = accepted_data(
        application, program=cohort.program, cohort=cohort.cohort, rank=1, brn=brn
    )
    await publish_lifecycle(local_stack, cohort, "application.accepted", accepted)
    programs = platform.url("programs")

    async def seated() -> bool:
        # A report about a startup that holds no seat yet is refused (`not_enrolled`), as it
        # should be: it is sent once the seat is there, as a real partner's would be.
        listed = await staff_get(programs, f"/cohorts/{cohort.cohort}/enrollments")
        return any(e["application_id"] == application for e in listed)

    await eventually(seated, within=120, what="the accepted startup's seat")
    report_id = unique("kpi")
    report = {
        "report_id": report_id,
        "business_registration_number": brn,
        "cohort_code": cohort.cohort,
        "quarter": "2027-Q1",
        "revenue_krw": 120_000_000,
        "investment_raised_krw": 500_000_000,
        "headcount": 9,
    }
    value = kpi_report_event(report, source="/partners/" + unique("kpi-portal"))
    await publish(local_stack.kafka, "intake.kpi-reports", [(report_id.encode(), value, [])])

    async def counted() -> dict[str, Any] | None:
        found: dict[str, Any] = await staff_get(programs, f"/cohorts/{cohort.cohort}/outcomes")
        return found if found["reports"] == 1 else None

    answer = await eventually(counted, within=120, what="the KPI report in the cohort's outcomes")

    page = await signed_in(MANAGER)
    await page.goto(f"/outcomes?cohort={cohort.cohort}")
    await shows_figures(page, answer)
    quarter_table = page.locator("#money-by-quarter-title ~ table")
    await expect(quarter_table).to_contain_text("2027-Q1")
    await expect(quarter_table).to_contain_text("120")  # million KRW
    await expect(page.locator("#companies-by-program-title ~ table")).to_contain_text(
        "테스트 배치 프로그램"
    )
    for chart in ("money-by-quarter", "headcount-by-quarter", "companies-by-program"):
        drawn = await page.evaluate(f"window.Chart && Chart.getChart('{chart}') !== undefined")
        assert drawn, chart
    await assert_accessible(page)
    await screenshot(page, "outcomes-cohort")

    await page.get_by_label("기수").select_option("")
    await page.get_by_role("button", name="보기").click()
    await page.wait_for_url(f"{console}/outcomes?cohort=")

    async def hub_agrees() -> bool:
        """The page against programs' answer of the same moment (other tests' events may
        still be arriving on the shared stack): reloaded until both say the same."""
        hub: dict[str, Any] = await staff_get(programs, "/outcomes")
        await page.reload()
        shown = {f: await page.locator(f"#{e}").inner_text() for e, f in FIGURES.items()}
        return all(f"{hub[f]:,}" in text for f, text in shown.items())

    await eventually(hub_agrees, within=60, what="the hub's figures as programs answers them")
    await assert_accessible(page)
    await screenshot(page, "outcomes-hub")
    assert not [m for m in browser_console[page] if "Content Security Policy" in m]
