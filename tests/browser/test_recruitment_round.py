"""A whole recruitment round in the browser: the program manager names the reviewers on the
reviewer page; each reviewer signs in through Keycloak and scores the document review on their
scoring page, one declares a conflict of interest first and is replaced; the manager closes
the stage after its preview, selects with a reserve after the selection's preview and exports
the CSV; the applicants' mails (seat confirmed, reserve place) arrive in the SMTP capture.

The presentation review is scored over the API: the scoring page is the same for every stage
and the document review has shown it; the round stays one lean test."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from aihub_local.platform import PlatformServices, seed_catalog
from aihub_local.stack import StackEndpoints
from aihub_local.testing import StaffAccount, StaffHeaders, eventually, mails_to
from tests.browser.conftest import Screenshot, SignedIn
from tests.browser.support import assert_accessible, subject_of
from tests.e2e.support import business_number, unique, write_test_catalog

pytestmark = pytest.mark.integration

OPS = StaffAccount("portal@hub.example", ("ops",))
DOC, PRES = "document-review", "presentation-review"
DOC_LABELS = ("기술성 (가중치 40)", "시장성 (가중치 30)", "팀 역량 (가중치 30)")


async def submit(api: httpx.AsyncClient, program: str, cohort: str, n: int) -> tuple[str, str]:
    founder = f"{unique('founder')}@startup.example"
    body = {
        "submission_id": unique("round-sub"),
        "program_code": program,
        "cohort_code": cohort,
        "startup": {
            "name": f"라운드 스타트업 {n}",
            "business_registration_number": business_number(n + 700),
            "founded_on": "2023-05-02",
            "employees": 5,
            "ai_field": "vision",
        },
        "contact": {"name": "Mina", "email": founder, "locale": "ko"},
        "answers": {},
        "consent_personal_info": True,
    }
    receipt = (await api.post("/intake/applications", json=body, headers=OPS.headers())).json()
    assert receipt["outcome"] == "accepted", receipt
    return receipt["application_id"], founder


async def reviews_to_give(
    api: httpx.AsyncClient, application_ids: list[str], stage: str
) -> list[tuple[str, str]]:
    """(application, reviewer) of every assignment of the stage that counts and is not scored."""
    pairs: list[tuple[str, str]] = []
    for application_id in application_ids:
        detail: dict[str, Any] = (await api.get(f"/applications/{application_id}")).json()
        pairs += [
            (application_id, r["reviewer_id"])
            for r in detail["reviews"]
            if r["stage_code"] == stage and not r["conflict_reason"] and r["scores"] is None
        ]
    return pairs


async def test_a_recruitment_round_in_the_browser(
    signed_in: SignedIn,
    screenshot: Screenshot,
    local_stack: StackEndpoints,
    platform: PlatformServices,
    console: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    program, cohort = unique("round"), unique("round-cohort")
    manager = StaffAccount(f"{unique('round-pm')}@hub.example", name="Manager Round")
    reviewers = {
        a.email: a
        for a in (
            StaffAccount(f"{unique('round-a')}@hub.example", name="Reviewer A"),
            StaffAccount(f"{unique('round-b')}@hub.example", name="Reviewer B"),
            StaffAccount(f"{unique('round-c')}@hub.example", name="Reviewer C"),
        )
    }
    catalog = write_test_catalog(
        tmp_path_factory.mktemp("round"),
        program=program,
        cohort=cohort,
        seats=1,
        manager_email=manager.email,
    )
    seed_catalog(local_stack, catalog)
    for account in reviewers.values():
        account.token()  # accounts exist: nobody is invited (an invitation asks for a password)
    api = httpx.AsyncClient(
        base_url=platform.url("applications"), headers=StaffHeaders(manager), timeout=10
    )
    async with api:

        async def replicated() -> bool:
            return any(c["cohort_code"] == cohort for c in (await api.get("/cohorts")).json())

        await eventually(replicated, what="the cohort in the applications replica")
        submitted = [await submit(api, program, cohort, n) for n in range(2)]
        ids = [application_id for application_id, _ in submitted]

        # The manager names the reviewers; each application gets two of the three.
        manager_page = await signed_in(manager, start=f"/cohorts/{cohort}/reviewers")
        await manager_page.get_by_label("심사위원(한 줄에 한 명): 이름 <이메일>").fill(
            "\n".join(f"{a.name} <{a.email}>" for a in reviewers.values())
        )
        await manager_page.get_by_label("신청당 심사위원 수(비우면 단계 최소 인원)").fill("2")
        await manager_page.get_by_role("button", name="배정").click()
        await expect(manager_page.get_by_text("4건을 배정했습니다.")).to_be_visible()
        await assert_accessible(manager_page)
        await screenshot(manager_page, "round-reviewers-assigned")

        pages: dict[str, Page] = {}

        async def page_of(email: str, start: str) -> Page:
            if email not in pages:
                pages[email] = await signed_in(reviewers[email], start=start)
            else:
                await pages[email].goto(start)
            return pages[email]

        # One reviewer declares a conflict of interest; the pool replaces them.
        recused_app, recusing = (await reviews_to_give(api, ids, DOC))[0]
        page = await page_of(recusing, f"/reviews/{recused_app}")
        await page.get_by_label("사유").fill("이 기업에 투자했습니다.")
        await page.get_by_role("button", name="이해충돌 신고").click()
        await expect(page.get_by_role("heading", name="이해충돌을 신고했습니다")).to_be_visible()
        await assert_accessible(page)
        await screenshot(page, "round-conflict")

        # Every other review of the document review, on the reviewer's scoring page.
        value = {ids[0]: "90", ids[1]: "60"}
        to_give = await reviews_to_give(api, ids, DOC)
        assert len(to_give) == 4
        assert (recused_app, recusing) not in to_give
        for application_id, email in to_give:
            page = await page_of(email, f"/reviews/{application_id}")
            for label in DOC_LABELS:
                await page.get_by_label(label).fill(value[application_id])
            await page.get_by_role("button", name="점수 저장").click()
            await expect(page.get_by_text("점수를 저장했습니다.")).to_be_visible()
        await assert_accessible(page)
        await screenshot(page, "round-scored")

        # The manager closes the document review after its preview.
        await manager_page.goto(f"/cohorts/{cohort}/stages/{DOC}/advance")
        await expect(manager_page.get_by_text("지금 단계를 마감하면 2건 중 2건이")).to_be_visible()
        await manager_page.get_by_label("사유(모든 결정에 기록됩니다)").fill("서류평가 마감")
        await manager_page.get_by_role("button", name="단계 마감").click()
        await expect(manager_page.get_by_text("2건 진출, 0건 탈락.")).to_be_visible()

        named = [{"id": email, "name": a.name} for email, a in list(reviewers.items())[:2]]
        assigned = await api.post(
            f"/cohorts/{cohort}/stages/{PRES}/assignments", json={"reviewers": named}
        )
        assert assigned.status_code == 200, assigned.text
        for application_id, email in await reviews_to_give(api, ids, PRES):
            scored = await api.put(
                f"/applications/{application_id}/stages/{PRES}/scores",
                json={"scores": dict.fromkeys(["business-plan", "hub-fit"], 80)},
                headers=reviewers[email].headers(),
            )
            assert scored.status_code == 200, scored.text

    # Selection: one seat and one reserve place, previewed, confirmed; then the export.
    await manager_page.goto(f"/cohorts/{cohort}/ranking")
    await manager_page.get_by_label("정원 외 예비 인원(비우면 남은 순위 전체)").fill("1")
    await manager_page.get_by_role("button", name="선정 결과 미리 보기").click()
    await expect(manager_page.get_by_text("reserve place 1")).to_be_visible()
    await manager_page.get_by_label("선정 사유").fill("선정위원회 결정")
    await manager_page.get_by_role("button", name="선정 확정").click()
    await expect(manager_page.get_by_text("2건 선정(정원과 예비), 0건 탈락.")).to_be_visible()
    await assert_accessible(manager_page)
    await screenshot(manager_page, "round-selected")
    async with manager_page.expect_download() as download_info:
        await manager_page.get_by_role("link", name="CSV로 내보내기").click()
    exported = await (await download_info.value).path()
    rows = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    assert [(row["application_id"], row["rank"]) for row in rows] == [(ids[0], "1"), (ids[1], "2")]

    # The applicants hear: a seat for the first, the first reserve place for the second.
    expected = {submitted[0][1]: "최종 선정 및 참여 확정", submitted[1][1]: "예비 선정(대기 1순위)"}

    async def applicants_told() -> bool:
        return all(
            any(words in subject_of(m) for m in mails_to(local_stack.mail_dir, address))
            for address, words in expected.items()
        )

    await eventually(applicants_told, what="the applicants' seat and reserve mails")
