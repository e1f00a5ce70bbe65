"""A program manager edits a cohort's stages, rubrics and bonus points in the browser: the
programs service's reasons show at their fields (a stage weighting that does not add up, a
criterion lost after the application window opened), and what it accepts is stored and shown
again. Screenshots and axe-core on every state of the page."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Page

from aihub_local.platform import PlatformServices, seed_catalog
from aihub_local.stack import StackEndpoints
from aihub_local.testing import StaffAccount
from tests.browser.conftest import Screenshot, SignedIn
from tests.browser.support import assert_accessible
from tests.e2e.support import unique, write_test_catalog

pytestmark = pytest.mark.integration

SAVED = "기수 설정을 저장했습니다."


async def save(page: Page) -> None:
    await page.get_by_role("button", name="저장").click()


async def look(page: Page, screenshot: Screenshot, name: str) -> None:
    await assert_accessible(page)
    await screenshot(page, f"settings-{name}")


async def test_a_manager_edits_rubrics_and_sees_the_reasons_at_their_fields(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    signed_in: SignedIn,
    screenshot: Screenshot,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    cohort = unique("rubric")
    manager = StaffAccount(f"{unique('pm')}@hub.example", name="Manager Lee")
    catalog = write_test_catalog(
        tmp_path_factory.mktemp("catalog"),
        program=unique("rubric-program"),
        cohort=cohort,
        seats=5,
        manager_email=manager.email,
    )
    seed_catalog(local_stack, catalog)  # the hub's default stages; its window opened an hour ago
    page = await signed_in(manager, start=f"/auth/login?next=/cohorts/{cohort}/settings")
    await page.locator("#review_stages-0-code").wait_for()
    assert await page.locator("#review_stages-0-code").input_value() == "document-review"
    await look(page, screenshot, "stages")

    # 30 + 70 → 50 + 70: the service's reason shows at the stages, what was typed is kept.
    await page.locator("#review_stages-0-weight").fill("50")
    await save(page)
    stages_error = page.locator("#review_stages-error")
    await stages_error.wait_for()
    # In the page's language: the service's reason has a stable code the console's catalog says.
    assert await stages_error.inner_text() == "평가 단계 가중치의 합이 100이어야 합니다."
    assert await page.locator("#review_stages-0-weight").input_value() == "50"
    await look(page, screenshot, "weights-refused")

    # Losing a criterion once the window has opened: refused at that stage's criteria.
    await page.locator("#review_stages-0-weight").fill("30")
    await page.get_by_label("삭제 team").check()
    await save(page)
    criteria_error = page.locator("#review_stages-0-criteria-error")
    await criteria_error.wait_for()
    said = await criteria_error.inner_text()
    assert "이 단계의 평가 항목과 가중치를 바꿀 수 없습니다" in said
    assert "team (30)" in said
    await look(page, screenshot, "criterion-refused")

    # What stays editable: a criterion's cut-off, blind review, a bonus item and its cap.
    await page.get_by_label("삭제 team").uncheck()
    await page.locator("#review_stages-0-criteria-0-cutoff").fill("40")
    await page.locator("#review_stages-1-blind").check()
    await page.locator("#review_stages-1-appeal_window_days").fill("7")
    await page.locator("#review_stages-1-appeal_disclosure").select_option("score")
    await page.locator("#bonus_items-0-code").fill("youth")
    await page.locator("#bonus_items-0-name_ko").fill("청년 창업자")
    await page.locator("#bonus_items-0-name_en").fill("Young founders")
    await page.locator("#bonus_items-0-points").fill("1")
    await page.locator("#bonus_cap").fill("2")
    await save(page)
    await page.get_by_text(SAVED).wait_for()
    assert await page.locator("#review_stages-0-criteria-0-cutoff").input_value() == "40"
    assert await page.locator("#review_stages-1-blind").is_checked()
    assert await page.locator("#bonus_items-0-code").input_value() == "youth"
    await look(page, screenshot, "saved")

    async with httpx.AsyncClient(base_url=platform.url("programs"), timeout=10) as programs:
        stored = (await programs.get(f"/cohorts/{cohort}", headers=manager.headers())).json()
    docs, pitch = stored["review_stages"]
    assert [c["code"] for c in docs["criteria"]] == ["technology", "market", "team"]
    assert docs["criteria"][0]["cutoff"] == 40
    assert (docs["blind"], pitch["blind"]) == (False, True)
    assert (pitch["appeal_window_days"], pitch["appeal_disclosure"]) == (7, "score")
    assert (docs["appeal_window_days"], docs["appeal_disclosure"]) == (None, "none")
    assert stored["bonus_items"] == [
        {
            "code": "youth",
            "name_ko": "청년 창업자",
            "name_en": "Young founders",
            "points": 1.0,
            "answer_key": None,
            "answer_value": None,
        }
    ]
    assert stored["bonus_cap"] == 2
    # The rest of the cohort went back as it was.
    assert (stored["seats"], stored["max_startup_age_years"]) == (5, 7)
