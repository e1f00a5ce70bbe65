"""A reviewer's work in the browser: named by the API, told by mail, signs in through Keycloak,
sees the application and the rubric with its weights, watches the weighted result while typing
(the service's rule), saves, corrects; a second reviewer declares a conflict of interest and the
page says so. axe-core and a screenshot on every page visited."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from aihub_local.platform import PlatformServices
from aihub_local.stack import StackEndpoints
from aihub_local.testing import StaffAccount, eventually, mails_to
from tests.browser.conftest import Screenshot, SignedIn
from tests.browser.review_setup import ANSWER, application_under_review
from tests.browser.support import assert_accessible, console_link, subject_of

pytestmark = pytest.mark.integration

# Named in this order, the pool's first two (by e-mail) are assigned; the third replaces.
REVIEWER_A = StaffAccount("console-review-a@hub.example", name="Reviewer Ahn")
REVIEWER_B = StaffAccount("console-review-b@hub.example", name="Reviewer Baek")
REVIEWER_C = StaffAccount("console-review-c@hub.example", name="Reviewer Cho")
SEOUL = ZoneInfo("Asia/Seoul")


async def test_a_reviewer_scores_corrects_and_another_declares_a_conflict(
    signed_in: SignedIn,
    screenshot: Screenshot,
    local_stack: StackEndpoints,
    platform: PlatformServices,
    console: str,
    tmp_path: Path,
) -> None:
    reviewed = await application_under_review(
        local_stack, platform, tmp_path, [REVIEWER_A, REVIEWER_B, REVIEWER_C]
    )
    app = reviewed.application_id

    async def assignment_mail() -> bool:
        subjects = [subject_of(m) for m in mails_to(local_stack.mail_dir, REVIEWER_A.email)]
        return any(reviewed.startup_name in s for s in subjects)

    await eventually(assignment_mail, what="the review-assigned mail to reviewer A")
    # The reviewer follows the mail's button: the scoring page of this application.
    start = console_link(
        mails_to(local_stack.mail_dir, REVIEWER_A.email), console, f"/reviews/{app}"
    )

    page = await signed_in(REVIEWER_A, start=start)
    await expect(page.get_by_role("heading", name=reviewed.startup_name)).to_be_visible()
    await expect(page.get_by_text("서류평가").first).to_be_visible()
    await expect(page.get_by_text(ANSWER)).to_be_visible()
    await expect(page.get_by_text("왜 지금인가요?")).to_be_visible()
    await assert_accessible(page)
    await screenshot(page, "reviews-sheet-empty")

    # Weights 40/30/30: 90, 70, 60 → 75.00, computed by the service while typing.
    await page.get_by_label("기술성 (가중치 40)").fill("90")
    await page.get_by_label("시장성 (가중치 30)").fill("70")
    await expect(page.locator("#weighted-result")).to_contain_text("모든 기준에 점수를 입력")
    await page.get_by_label("팀 역량 (가중치 30)").fill("160")
    await expect(page.locator("#weighted-result")).to_contain_text("100")  # the service's reason
    await page.get_by_label("팀 역량 (가중치 30)").fill("60")
    await expect(page.locator("#weighted-result")).to_contain_text("가중 점수: 75.00 / 100")
    await assert_accessible(page)
    await screenshot(page, "reviews-sheet-preview")
    await page.get_by_label("의견 (선택)").fill("실증 데이터가 탄탄합니다.")
    await page.get_by_role("button", name="점수 저장").click()
    await expect(page.get_by_text("점수를 저장했습니다. 내 가중 점수: 75.00")).to_be_visible()

    # A correction, until the stage closes.
    await page.get_by_label("팀 역량 (가중치 30)").fill("100")
    await page.get_by_role("button", name="수정한 점수 저장").click()
    await expect(page.get_by_text("점수를 저장했습니다. 내 가중 점수: 87.00")).to_be_visible()
    await expect(page.get_by_label("의견 (선택)")).to_have_value("실증 데이터가 탄탄합니다.")
    await assert_accessible(page)
    await screenshot(page, "reviews-sheet-saved")

    await page.get_by_role("link", name="내 심사").first.click()
    await expect(page.get_by_role("heading", name="내 심사", level=1)).to_be_visible()
    done = page.get_by_role("table", name="완료된 심사")
    await expect(done.get_by_role("row").filter(has_text=reviewed.startup_name)).to_contain_text(
        "87.00"
    )
    await assert_accessible(page)
    await screenshot(page, "reviews-list")

    other = await signed_in(REVIEWER_B, start=start)
    await expect(other.get_by_text(ANSWER)).to_be_visible()
    await other.get_by_label("사유").fill("이 기업의 자문위원으로 일했습니다.")
    await other.get_by_role("button", name="이해충돌 신고").click()
    await expect(other.get_by_role("heading", name="이해충돌을 신고했습니다")).to_be_visible()
    await expect(other.get_by_text("사유: 이 기업의 자문위원으로 일했습니다.")).to_be_visible()
    await expect(other.get_by_text(ANSWER)).to_have_count(0)
    await assert_accessible(other)
    await screenshot(other, "reviews-conflict-declared")

    # Before scoring, the pending list shows the due date in Seoul time.
    third = await signed_in(REVIEWER_C, start="/reviews")
    pending = third.get_by_role("table", name="대기 중인 심사")
    row = pending.get_by_role("row").filter(has_text=reviewed.startup_name)
    seoul_due = reviewed.due_at.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M")
    await expect(row).to_contain_text(f"{seoul_due} KST")
    await assert_accessible(third)
    await screenshot(third, "reviews-list-pending")


async def test_another_persons_review_is_refused_with_the_services_reason(
    signed_in: SignedIn, local_stack: StackEndpoints, platform: PlatformServices, tmp_path: Path
) -> None:
    reviewed = await application_under_review(
        local_stack, platform, tmp_path, [REVIEWER_A, REVIEWER_B, REVIEWER_C]
    )
    page = await signed_in(
        REVIEWER_C, start=f"/reviews/{reviewed.application_id}?stage=document-review"
    )
    await expect(page.get_by_role("heading", name="이 작업을 할 권한이 없습니다")).to_be_visible()
    # The service's coded reason, said in Korean (entrypoints/reasons.py).
    await expect(page.get_by_text("이 신청의 평가위원이 아닙니다")).to_be_visible()
    await assert_accessible(page)
