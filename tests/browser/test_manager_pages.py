"""The program manager's pages in a real browser against the real stack: the cohort list, the
pipeline, the applications table (htmx search), one application with its history, the reviewer
pool (adding reviewers by e-mail, a bad address refused at the field), closing a stage (the
service's 409 reason, then its preview and the confirmed advance), the ranking with the
selection previewed then confirmed, the CSV export, the enrollments and the settings.
Screenshots and axe-core on every page visited."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

import httpx
import pytest
from playwright.async_api import Page, expect

from aihub_local.platform import PlatformServices, seed_catalog
from aihub_local.stack import StackEndpoints
from aihub_local.testing import StaffAccount, StaffHeaders, eventually
from tests.browser.conftest import Screenshot, SignedIn
from tests.browser.support import assert_accessible
from tests.e2e.support import business_number, unique, write_test_catalog

pytestmark = pytest.mark.integration

OPS = StaffAccount("portal@hub.example", ("ops",))
DOC, PRES = "document-review", "presentation-review"
#: Records what a form shows the moment it is sent (after the console's own submit handler).
SEEN_AT_SUBMIT = """() => document.addEventListener("submit", (event) => {
  const form = event.target;
  sessionStorage.setItem("seen-at-submit", JSON.stringify({
    status: form.querySelector("[data-progress-status]")?.textContent ?? null,
    disabled: form.querySelector('button[type="submit"]')?.disabled ?? null,
  }));
})"""


@dataclass(frozen=True)
class Round:
    cohort: str
    manager: StaffAccount
    reviewers: tuple[StaffAccount, StaffAccount]
    application_ids: list[str]


@pytest.fixture(scope="module")
async def cohort_round(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    tmp_path_factory: pytest.TempPathFactory,
) -> Round:
    """A fresh cohort (2 seats) with three applications submitted over HTTP."""
    program, cohort = unique("mgr"), unique("mgr-cohort")
    manager = StaffAccount(f"{unique('pm')}@hub.example", name="Manager Kim")
    path = write_test_catalog(
        tmp_path_factory.mktemp("catalog"),
        program=program,
        cohort=cohort,
        seats=2,
        manager_email=manager.email,
    )
    seed_catalog(local_stack, path)
    reviewers = (
        StaffAccount(f"{unique('rev-a')}@hub.example", name="Reviewer A"),
        StaffAccount(f"{unique('rev-b')}@hub.example", name="Reviewer B"),
    )
    for reviewer in reviewers:
        reviewer.token()  # accounts exist: notifications invites nobody in this test
    async with httpx.AsyncClient(
        base_url=platform.url("applications"), headers=StaffHeaders(OPS), timeout=10
    ) as ops:

        async def replicated() -> bool:
            cohorts = (await ops.get("/cohorts", headers=manager.headers())).json()
            return any(c["cohort_code"] == cohort for c in cohorts)

        await eventually(replicated, what="the cohort in the applications replica")
        ids = []
        for n, name in enumerate(["누리비전", "Deep Seoul", "Hangang Robotics"]):
            body = {
                "submission_id": unique("mgr-sub"),
                "program_code": program,
                "cohort_code": cohort,
                "startup": {
                    "name": name,
                    "business_registration_number": business_number(n + 900),
                    "founded_on": "2023-05-02",
                    "employees": 5,
                    "ai_field": "vision",
                },
                "contact": {"name": "Mina", "email": f"founder{n}@startup.example", "locale": "ko"},
                "answers": {},
                "consent_personal_info": True,
            }
            receipt = (await ops.post("/intake/applications", json=body)).json()
            assert receipt["outcome"] == "accepted", receipt
            ids.append(receipt["application_id"])
    return Round(cohort, manager, reviewers, ids)


async def visit(page: Page, screenshot: Screenshot, name: str) -> None:
    await assert_accessible(page)
    await screenshot(page, f"manager-{name}")


async def score(
    platform: PlatformServices, reviewer: StaffAccount, application_id: str, stage: str, value: int
) -> None:
    criteria = {DOC: ["technology", "market", "team"], PRES: ["business-plan", "hub-fit"]}[stage]
    async with httpx.AsyncClient(base_url=platform.url("applications"), timeout=10) as client:
        response = await client.put(
            f"/applications/{application_id}/stages/{stage}/scores",
            json={"scores": dict.fromkeys(criteria, value)},
            headers=reviewer.headers(),
        )
        assert response.status_code == 200, response.text


async def test_a_manager_runs_a_cohort_through_its_pages(
    cohort_round: Round,
    signed_in: SignedIn,
    screenshot: Screenshot,
    platform: PlatformServices,
    console: str,
) -> None:
    r = cohort_round
    page = await signed_in(r.manager, start="/auth/login?next=/cohorts")
    await page.goto("/cohorts")
    await page.get_by_role("link", name=r.cohort).click()
    await page.get_by_role("heading", name="단계별 심사 현황").wait_for()
    await visit(page, screenshot, "pipeline")

    await page.goto("/cohorts")
    await visit(page, screenshot, "cohorts")

    # The applications table: typing a search swaps the table (htmx), no page load.
    await page.goto(f"/cohorts/{r.cohort}/applications")
    await page.get_by_text("전체 3건 중 1–3").wait_for()
    await page.get_by_label("검색: 스타트업 이름, 이메일 또는 사업자등록번호").fill("founder1@")
    await page.get_by_text("전체 1건 중 1–1").wait_for()
    await page.get_by_role("link", name="Deep Seoul").wait_for()
    await visit(page, screenshot, "applications-search")

    await page.get_by_role("link", name="Deep Seoul").click()
    await page.get_by_role("heading", name="이력").wait_for()
    await visit(page, screenshot, "application")

    # Reviewers: a bad address is refused by the service, its reason at the field.
    await page.goto(f"/cohorts/{r.cohort}/reviewers")
    reviewer_field = page.get_by_label("심사위원(한 줄에 한 명): 이름 <이메일>")
    await reviewer_field.fill("Someone <not-an-address>")
    await page.get_by_role("button", name="배정").click()
    await page.locator("#reviewers-error").wait_for()
    assert "1:" in await page.locator("#reviewers-error").inner_text()
    await visit(page, screenshot, "reviewers-refused")
    lines = "\n".join(f"{a.name} <{a.email}>" for a in r.reviewers)
    await reviewer_field.fill(lines)
    await page.get_by_label("신청당 심사위원 수(비우면 단계 최소 인원)").fill("2")
    await page.get_by_role("button", name="배정").click()
    await page.get_by_text("6건을 배정했습니다.").wait_for()
    row = page.get_by_role("row").filter(has_text=r.reviewers[0].email).first
    assert "3" in await row.inner_text()
    await visit(page, screenshot, "reviewers")

    # Closing the document review before the scores: the service's reason, nothing changed.
    await page.goto(f"/cohorts/{r.cohort}/stages/{DOC}/advance")
    # The service's coded reason, said in Korean (entrypoints/reasons.py).
    await page.get_by_role("alert").filter(has_text="평가 완료 2건에 못 미칩니다").wait_for()
    await visit(page, screenshot, "advance-refused")
    for n, application_id in enumerate(r.application_ids):
        for reviewer in r.reviewers:
            await score(platform, reviewer, application_id, DOC, 60 + 10 * n)
    await page.reload()
    await page.get_by_text("지금 단계를 마감하면 3건 중 3건이").wait_for()
    await visit(page, screenshot, "advance-preview")
    await page.get_by_label("사유(모든 결정에 기록됩니다)").fill("서류평가 마감")
    await page.get_by_role("button", name="단계 마감").click()
    await page.get_by_text("3건 진출, 0건 탈락.").wait_for()

    async with httpx.AsyncClient(
        base_url=platform.url("applications"), headers=StaffHeaders(r.manager), timeout=10
    ) as manager_api:
        assigned = await manager_api.post(
            f"/cohorts/{r.cohort}/stages/{PRES}/assignments",
            json={"reviewers": [{"id": a.email, "name": a.name} for a in r.reviewers]},
        )
        assert assigned.status_code == 200, assigned.text
    for n, application_id in enumerate(r.application_ids):
        for reviewer in r.reviewers:
            await score(platform, reviewer, application_id, PRES, 90 - 10 * n)

    # Ranking, then the selection with a reserve of 0: previewed, then confirmed.
    await page.goto(f"/cohorts/{r.cohort}/ranking")
    await page.get_by_role("link", name="누리비전").wait_for()
    await visit(page, screenshot, "ranking")
    # A bulk decision says it is under way while its one request runs: what the form shows at
    # the moment it is sent is kept (in the tab's sessionStorage) across the navigation. Without
    # a reason the service refuses it, and nothing is decided (the selection below).
    await page.evaluate(SEEN_AT_SUBMIT)
    await page.get_by_label("누리비전 선택").check()
    decide = page.get_by_role("button", name="결정하기")
    await decide.click()
    await page.wait_for_load_state()
    seen = json.loads(await page.evaluate("() => sessionStorage.getItem('seen-at-submit')"))
    assert seen == {"status": "신청 1건을 결정하는 중…", "disabled": True}
    await expect(page.locator("[data-progress-status]")).to_have_text("")
    await expect(decide).to_be_enabled()
    await page.get_by_label("정원 외 예비 인원(비우면 남은 순위 전체)").fill("0")
    await page.get_by_role("button", name="선정 결과 미리 보기").click()
    await page.get_by_text("reserve").or_(page.get_by_text("a seat")).first.wait_for()
    await visit(page, screenshot, "selection-preview")
    await page.get_by_label("선정 사유").fill("선정위원회 결정")
    await page.get_by_role("button", name="선정 확정").click()
    await page.get_by_text("2건 선정(정원과 예비), 1건 탈락.").wait_for()

    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="CSV로 내보내기").click()
    download = await download_info.value
    exported = await download.path()
    rows = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    assert [row["rank"] for row in rows] == ["1", "2", ""]

    async def enrolled() -> bool:
        await page.goto(f"/cohorts/{r.cohort}/enrollments")
        return await page.get_by_text("정원 2석 중 2석 확정").count() > 0

    await eventually(enrolled, what="programs to confirm the two seats")
    await visit(page, screenshot, "enrollments")
    await page.get_by_role("button", name="협약 체결").first.click()
    await page.get_by_text("협약서 서명을 기록했습니다.").wait_for()
    await page.get_by_text("취소", exact=True).last.click()  # opens the cancellation form
    await page.get_by_label("사유").last.fill("창업자가 다른 프로그램을 택함")
    await page.get_by_role("button", name="등록 취소").last.click()
    await page.get_by_text("등록을 취소했습니다.").wait_for()
    await page.get_by_text("정원 2석 중 1석 확정").wait_for()
    # 협약 포기: the startup still holding a seat gives its agreement up (no reserve here).
    await page.get_by_text("협약 포기", exact=True).first.click()
    await page.get_by_label("협약 포기 사유").first.fill("창업자가 사업을 중단함")
    await page.get_by_role("button", name="협약 포기 기록").first.click()
    await page.get_by_text("협약 포기를 기록했습니다").wait_for()
    await page.get_by_text("정원 2석 중 0석 확정").wait_for()
    await page.get_by_text("창업자가 사업을 중단함").wait_for()  # the cancelled line's reason

    await page.goto(f"/cohorts/{r.cohort}/settings")
    await page.get_by_label("정원").fill("20000")  # the service allows at most 10,000
    await page.get_by_role("button", name="저장").click()
    await page.locator("#seats-error").wait_for()
    await visit(page, screenshot, "settings-refused")
    # Saving sends the rest of the cohort's settings back as they were.
    await page.get_by_label("정원").fill("3")
    await page.get_by_role("button", name="저장").click()
    await page.get_by_text("기수 설정을 저장했습니다.").wait_for()
    assert await page.get_by_label("정원").input_value() == "3"
