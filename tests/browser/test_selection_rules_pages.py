"""Issue 14's selection rules in the console, in a real browser against the real stack: a
reviewer accepts the stage's pledge before the rubric shows; a manager adds an external
reviewer, sees the advance page's external-share check, files a challenge on the applicant's
behalf (its reviews marked as not counting, a second one refused with the service's reason),
dismisses it from the cohort's list and upholds another from the application's page, grants
and takes back bonus points, and reads the ranking with raw and calibrated scores, the spread,
the dropped reviewers, the bonus and the cut-off failure, and the CSV with the same columns.
Every figure on the pages is compared with what the applications service answers for it.
Screenshots (Korean, and English for the ranking) and axe-core on every page visited."""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.async_api import Page

from aihub_local.platform import PlatformServices, seed_catalog
from aihub_local.stack import StackEndpoints
from aihub_local.testing import StaffAccount, StaffHeaders, eventually
from tests.browser.conftest import Screenshot, SignedIn
from tests.browser.support import assert_accessible
from tests.e2e.support import business_number, unique, write_test_catalog

pytestmark = pytest.mark.integration

PORTAL = StaffAccount("portal@hub.example", ("ops",))
DOC, PRES = "document-review", "presentation-review"
CRITERIA = [
    {"code": "technology", "name_ko": "기술성", "name_en": "Technology", "weight": 1},
    {"code": "market", "name_ko": "시장성", "name_en": "Market", "weight": 1},
]
STAGES = [
    {
        "code": DOC,
        "name_ko": "서류평가",
        "name_en": "Document review",
        "weight": 50,
        "min_reviewers": 2,
        "pledge_required": True,
        "trim_extremes_from": 3,
        "calibration": "z-score",
        "cutoff_score": 50,
        "min_external_share": 0.25,
        "appeal_window_days": 7,
        "appeal_disclosure": "score",
        "criteria": CRITERIA,
    },
    {
        "code": PRES,
        "name_ko": "발표평가",
        "name_en": "Presentation review",
        "weight": 50,
        "criteria": [{"code": "pitch", "name_ko": "발표", "name_en": "Pitch", "weight": 1}],
    },
]
YOUTH = {"code": "youth-founder", "name_ko": "청년 창업자", "name_en": "Young founder", "points": 1}
WOMEN = {"code": "women-owned", "name_ko": "여성 기업", "name_en": "Women-owned", "points": 1}


@dataclass(frozen=True)
class RulesCohort:
    cohort: str
    manager: StaffAccount
    #: Internal reviewers, assigned to both applications and scored over the API.
    reviewers: tuple[StaffAccount, StaffAccount]
    strong: str  # 누리비전: scored high
    weak: str  # Deep Seoul: scored low, below the stage's cut-off once calibrated


@pytest.fixture(scope="module")
async def rules_cohort(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    tmp_path_factory: pytest.TempPathFactory,
) -> RulesCohort:
    """A cohort whose document review has every rule on (pledge, trimmed mean, z-score
    calibration, cut-off 50, a quarter external), two bonus items capped at 1.5, two
    applications, and two internal reviewers who pledged and scored both over the API."""
    program, cohort = unique("rules"), unique("rules-cohort")
    manager = StaffAccount(f"{unique('pm')}@hub.example", name="Manager Lee")
    path = write_test_catalog(
        tmp_path_factory.mktemp("catalog"),
        program=program,
        cohort=cohort,
        seats=1,
        manager_email=manager.email,
        cohort_settings={"review_stages": STAGES, "bonus_items": [YOUTH, WOMEN], "bonus_cap": 1.5},
    )
    await asyncio.to_thread(seed_catalog, local_stack, path)
    reviewers = (
        StaffAccount(f"{unique('rev-a')}@hub.example", name="Reviewer A"),
        StaffAccount(f"{unique('rev-b')}@hub.example", name="Reviewer B"),
    )
    for reviewer in reviewers:  # accounts before they are named: nobody is invited
        await asyncio.to_thread(reviewer.token)
    async with httpx.AsyncClient(base_url=platform.url("applications"), timeout=10) as api:

        async def replicated() -> bool:
            listed = (await api.get("/cohorts", headers=StaffHeaders(manager))).json()
            return any(c["cohort_code"] == cohort for c in listed)

        await eventually(replicated, what="the cohort in the applications replica")
        strong, weak = [
            await _submit(api, program, cohort, name, n)
            for n, name in enumerate(["누리비전", "Deep Seoul"])
        ]
        assigned = await api.post(
            f"/cohorts/{cohort}/stages/{DOC}/assignments",
            json={"reviewers": [{"id": r.email, "name": r.name} for r in reviewers]},
            headers=StaffHeaders(manager),
        )
        assert assigned.status_code == 200, assigned.text
        for reviewer, (high, low) in zip(reviewers, [(90, 20), (80, 30)], strict=True):
            await _pledge_and_score(api, cohort, reviewer, {strong: high, weak: low})
    return RulesCohort(cohort, manager, reviewers, strong, weak)


async def _submit(api: httpx.AsyncClient, program: str, cohort: str, name: str, n: int) -> str:
    body = {
        "submission_id": unique("rules-sub"),
        "program_code": program,
        "cohort_code": cohort,
        "startup": {
            "name": name,
            "business_registration_number": business_number(n + 700),
            "founded_on": "2023-05-02",
            "employees": 5,
            "ai_field": "vision",
        },
        "contact": {"name": "Mina", "email": f"founder{n}@rules.example", "locale": "ko"},
        "answers": {},
        "consent_personal_info": True,
    }
    receipt = (
        await api.post("/intake/applications", json=body, headers=StaffHeaders(PORTAL))
    ).json()
    assert receipt["outcome"] == "accepted", receipt
    return str(receipt["application_id"])


async def _pledge_and_score(
    api: httpx.AsyncClient, cohort: str, reviewer: StaffAccount, scores: dict[str, int]
) -> None:
    headers = StaffHeaders(reviewer)
    pledged = await api.post(f"/cohorts/{cohort}/stages/{DOC}/pledge", headers=headers)
    assert pledged.status_code == 200, pledged.text
    for application_id, value in scores.items():
        scored = await api.put(
            f"/applications/{application_id}/stages/{DOC}/scores",
            json={"scores": {"technology": value, "market": value}},
            headers=headers,
        )
        assert scored.status_code == 200, scored.text


async def visit(page: Page, screenshot: Screenshot, name: str) -> None:
    await assert_accessible(page)
    await screenshot(page, f"rules-{name}")


async def test_a_reviewer_accepts_the_pledge_before_the_rubric_shows(
    rules_cohort: RulesCohort,
    signed_in: SignedIn,
    screenshot: Screenshot,
    platform: PlatformServices,
) -> None:
    r = rules_cohort
    reviewer = StaffAccount(f"{unique('rev-p')}@hub.example", name="Reviewer P")
    await asyncio.to_thread(reviewer.token)  # the account exists: nobody is invited
    async with httpx.AsyncClient(base_url=platform.url("applications"), timeout=10) as api:
        assigned = await api.post(
            f"/cohorts/{r.cohort}/stages/{DOC}/assignments",
            json={
                "reviewers": [{"id": reviewer.email, "name": reviewer.name}],
                "per_application": 3,
            },
            headers=StaffHeaders(r.manager),
        )
        assert assigned.status_code == 200, assigned.text
        mine = await api.get("/reviews/mine", headers=StaffHeaders(reviewer))
        application_id = mine.json()[0]["application_id"]

    page = await signed_in(reviewer, start=f"/auth/login?next=/reviews/{application_id}")
    await page.goto(f"/reviews/{application_id}?stage={DOC}")
    await page.get_by_role("heading", name="평가위원 서약").wait_for()
    await page.get_by_text("이 단계는 평가위원 서약에 동의한 뒤에만 점수를 받습니다.").wait_for()
    await page.get_by_text("이해관계").first.wait_for()  # the service's pledge text
    assert await page.get_by_role("button", name="점수 저장").count() == 0
    await visit(page, screenshot, "pledge")

    await page.get_by_role("button", name="서약에 동의합니다").click()
    await page.get_by_text("서약에 동의했습니다: 이제 점수를 입력할 수 있습니다.").wait_for()
    async with httpx.AsyncClient(base_url=platform.url("applications"), timeout=10) as api:
        answer = await api.get(
            f"/cohorts/{r.cohort}/stages/{DOC}/pledge", headers=StaffHeaders(reviewer)
        )
    assert answer.json()["accepted_at"] is not None  # recorded by the service
    await page.get_by_text("평가위원 서약 동의:").wait_for()
    assert await page.get_by_role("heading", name="평가위원 서약").count() == 0
    await page.get_by_label("기술성 (가중치 1)").fill("85")
    await page.get_by_label("시장성 (가중치 1)").fill("85")
    await page.get_by_role("button", name="점수 저장").click()
    await page.get_by_text("점수를 저장했습니다").wait_for()
    await visit(page, screenshot, "pledge-accepted")


async def test_a_manager_works_the_selection_rules_in_the_console(
    rules_cohort: RulesCohort,
    signed_in: SignedIn,
    screenshot: Screenshot,
    platform: PlatformServices,
) -> None:
    r = rules_cohort
    external = StaffAccount(f"{unique('rev-x')}@university.example", name="Professor Han")
    await asyncio.to_thread(external.token)
    page = await signed_in(r.manager, start=f"/auth/login?next=/cohorts/{r.cohort}/reviewers")
    api = httpx.AsyncClient(
        base_url=platform.url("applications"), headers=StaffHeaders(r.manager), timeout=10
    )
    async with api:
        # An external reviewer added through the pool's form: the flag shows in the pool.
        await page.goto(f"/cohorts/{r.cohort}/reviewers")
        await page.get_by_label("심사위원(한 줄에 한 명): 이름 <이메일>").fill(
            f"{external.name} <{external.email}>"
        )
        # Four a piece: whoever is on them already, the external reviewer joins both.
        await page.get_by_label("신청당 심사위원 수(비우면 단계 최소 인원)").fill("4")
        await page.get_by_label("외부 평가위원입니다 (허브 외부 소속)").check()
        await page.get_by_role("button", name="배정").click()
        row = page.get_by_role("row").filter(has_text=external.email).first
        await row.get_by_text("외부 평가위원").wait_for()
        internal_row = page.get_by_role("row").filter(has_text=r.reviewers[0].email).first
        assert "외부 평가위원" not in await internal_row.inner_text()
        await visit(page, screenshot, "reviewers-external")
        async with httpx.AsyncClient(base_url=platform.url("applications"), timeout=10) as own:
            await _pledge_and_score(own, r.cohort, external, {r.strong: 70, r.weak: 10})

        # The advance page shows the service's external-share check with its figures.
        panel = (await api.get(f"/cohorts/{r.cohort}/stages/{DOC}/panel")).json()
        assert panel["external"] == 1
        await page.goto(f"/cohorts/{r.cohort}/stages/{DOC}/advance")
        share, needed = f"{panel['share'] * 100:.0f}", f"{panel['min_external_share'] * 100:.0f}"
        await page.get_by_text(
            f"평가위원 {panel['reviewers']}명 중 1명이 외부 평가위원입니다 ({share}%)."
            f" 이 단계는 최소 {needed}%가 필요합니다."
        ).wait_for()
        verdict = "충족" if panel["satisfied"] else "미충족"
        await page.locator(".panel-check .badge").get_by_text(verdict, exact=True).wait_for()
        await visit(page, screenshot, "advance-panel")

        await _challenge_on_the_application_page(page, screenshot, r)
        await _bonus_points(page, screenshot, r, api)
        await _ranking_and_csv(page, screenshot, r, api)
        await _appeal(page, screenshot, r, api)


async def _challenge_on_the_application_page(
    page: Page, screenshot: Screenshot, r: RulesCohort
) -> None:
    challenged = r.reviewers[1]
    await page.goto(f"/applications/{r.strong}")
    await page.get_by_label("기피 대상 평가위원").select_option(challenged.email)
    await page.get_by_label("신청인이 밝힌 사유").fill("경쟁사 자문위원으로 활동 중")
    await page.get_by_role("button", name="기피 신청 접수").click()
    await page.get_by_text("기피 신청을 접수했습니다").wait_for()
    review_row = page.get_by_role("row").filter(has_text=challenged.email).first
    await review_row.get_by_text("기피 신청 중: 결정 전까지 이 점수는 반영되지 않습니다").wait_for()
    await visit(page, screenshot, "application-challenged")

    # The same reviewer again: the service refuses (one open challenge each), its reason shown
    # in the page's language (the refusal's code `challenge_already_open`).
    await page.get_by_label("기피 대상 평가위원").select_option(challenged.email)
    await page.get_by_label("신청인이 밝힌 사유").fill("다시 신청")
    await page.get_by_role("button", name="기피 신청 접수").click()
    await page.get_by_role("alert").filter(has_text="기피 신청이 이미 진행 중입니다").wait_for()

    # The cohort's list of open challenges, linked from the cohort's tabs; dismissed there.
    await page.goto(f"/cohorts/{r.cohort}")
    await (
        page.get_by_role("navigation", name="기수")
        .get_by_role("link", name="기피 신청", exact=True)
        .click()
    )
    await page.get_by_role("heading", name=f"{r.cohort} · 평가위원 기피 신청").wait_for()
    await page.get_by_text("처리할 기피 신청 (1건)").wait_for()
    await visit(page, screenshot, "challenges-open")
    await page.get_by_label(f"{challenged.name} 기피 신청에 대한 결정 사유").fill(
        "자문 계약이 종료된 것을 확인함"
    )
    await page.get_by_role("button", name="기각", exact=True).click()
    await page.get_by_text("기피 신청을 기각했습니다").wait_for()
    await page.get_by_text("처리할 기피 신청이 없습니다.").wait_for()
    decided = page.get_by_role("table", name="결정된 기피 신청")
    await decided.get_by_text("자문 계약이 종료된 것을 확인함").wait_for()
    await visit(page, screenshot, "challenges-decided")

    # Upheld from the other application's page: the reviewer is recused there, as after a
    # declared conflict (the pool has nobody left to take over).
    await page.goto(f"/applications/{r.weak}")
    await page.get_by_label("기피 대상 평가위원").select_option(challenged.email)
    await page.get_by_label("신청인이 밝힌 사유").fill("공동 창업자와 친족 관계")
    await page.get_by_role("button", name="기피 신청 접수").click()
    await page.get_by_text("기피 신청을 접수했습니다").wait_for()
    await page.get_by_label(f"{challenged.name} 기피 신청에 대한 결정 사유").fill("친족 관계 확인")
    await page.get_by_role("button", name="인용: 평가위원 교체").click()
    await page.get_by_text("기피 신청을 인용했습니다").wait_for()
    review_row = page.get_by_role("row").filter(has_text=challenged.email).first
    await review_row.get_by_text("challenge upheld: 친족 관계 확인").wait_for()
    await (
        page.get_by_role("table", name="이 신청서에 대한 기피 신청").get_by_text("인용").wait_for()
    )


async def _bonus_points(
    page: Page, screenshot: Screenshot, r: RulesCohort, api: httpx.AsyncClient
) -> None:
    await page.goto(f"/applications/{r.strong}#bonus")
    await page.get_by_text("상한 1.5점").wait_for()
    for item, reason in ((YOUTH, "대표자 1995년생 확인"), (WOMEN, "여성기업 확인서 제출")):
        await page.get_by_label(f"{item['name_ko']} 사유").fill(reason)
        row = page.get_by_role("row").filter(has_text=str(item["name_ko"]))
        await row.get_by_role("button", name="부여").click()
        await page.get_by_text("가점을 부여했습니다.").wait_for()
    await page.get_by_text("부여된 가점: 합계 1.5점").wait_for()  # 2, capped by the service
    await visit(page, screenshot, "application-bonus")
    await page.get_by_label(f"{WOMEN['name_ko']} 사유").fill("확인서 유효기간 만료")
    women = page.get_by_role("row").filter(has_text=str(WOMEN["name_ko"]))
    await women.get_by_role("button", name="취소").click()
    await page.get_by_text("가점을 취소했습니다.").wait_for()
    await page.get_by_text("부여된 가점: 합계 1점").wait_for()
    granted = (await api.get(f"/applications/{r.strong}/bonus-points")).json()
    assert [(g["item_code"], g["reason"]) for g in granted["granted"]] == [
        (YOUTH["code"], "대표자 1995년생 확인")
    ]
    history = page.locator(".history")
    await history.get_by_text("가점 취소").wait_for()


async def _ranking_and_csv(
    page: Page, screenshot: Screenshot, r: RulesCohort, api: httpx.AsyncClient
) -> None:
    lines = {line["id"]: line for line in (await api.get(f"/cohorts/{r.cohort}/ranking")).json()}
    strong, weak = lines[r.strong], lines[r.weak]
    detail = strong["stage_details"][DOC]
    # What the page must show is there to show: the rules did their work.
    assert detail["dropped_reviewers"]
    assert detail["calibrated_score"] is not None
    assert weak["cutoff_failures"]
    assert strong["bonus_points"] == 1.0

    await page.goto(f"/cohorts/{r.cohort}/ranking")
    row = page.get_by_role("row").filter(has_text="누리비전")
    raw, calibrated = f"{detail['raw_score']:.2f}", f"{detail['calibrated_score']:.2f}"
    await row.get_by_text(f"원점수 {raw} · 보정 {calibrated}").wait_for()
    await row.get_by_text(f"편차 {detail['spread']:.2f}").wait_for()
    dropped = row.locator(".dropped")
    assert await dropped.inner_text() == "제외됨 " + ", ".join(detail["dropped_reviewers"])
    await row.get_by_text(f"+1 {YOUTH['name_ko']}").wait_for()  # the item by its name
    weak_row = page.get_by_role("row").filter(has_text="Deep Seoul")
    await weak_row.get_by_text(weak["cutoff_failures"][0]).wait_for()
    await weak_row.get_by_text("과락", exact=True).first.wait_for()
    await visit(page, screenshot, "ranking")

    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="CSV로 내보내기").click()
    exported = await (await download_info.value).path()
    rows = {
        row["application_id"]: row
        for row in csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8-sig")))
    }
    assert _csv_details(rows[r.strong]) == {
        "raw": raw,
        "calibrated": calibrated,
        "spread": f"{detail['spread']:.2f}",
        "dropped": " ".join(detail["dropped_reviewers"]),
        "bonus_points": "1.00",
    }
    assert rows[r.weak]["cutoff_failures"] == "; ".join(weak["cutoff_failures"])

    await page.get_by_role("button", name="English").click()
    await page.get_by_role("heading", name=f"{r.cohort} · Ranking and selection").wait_for()
    english_row = page.get_by_role("row").filter(has_text="누리비전")
    await english_row.get_by_text(f"raw {raw} · calibrated {calibrated}").wait_for()
    await visit(page, screenshot, "ranking-english")
    await page.goto(f"/applications/{r.strong}")
    await page.get_by_role("heading", name="Bonus points").wait_for()
    await visit(page, screenshot, "application-english")
    await page.get_by_role("button", name="한국어").click()


def _csv_details(row: dict[str, Any]) -> dict[str, str]:
    return {
        "raw": row[f"raw_{DOC}"],
        "calibrated": row[f"calibrated_{DOC}"],
        "spread": row[f"spread_{DOC}"],
        "dropped": row[f"dropped_{DOC}"],
        "bonus_points": row["bonus_points"],
    }


async def _appeal(
    page: Page, screenshot: Screenshot, r: RulesCohort, api: httpx.AsyncClient
) -> None:
    """The document review closed, the weak application (below the cut-off) rejected: its
    appeal filed with the disclosure asked, then upheld from the cohort's list of appeals."""
    await page.goto(f"/cohorts/{r.cohort}/stages/{DOC}/advance")
    await page.get_by_label("사유(모든 결정에 기록됩니다)").fill("서류평가 마감")
    await page.get_by_role("button", name="단계 마감").click()
    await page.get_by_text("1건 진출, 1건 탈락.").wait_for()

    await page.goto(f"/applications/{r.weak}#appeals")
    await page.get_by_label("이의제기 사유").fill("발표 자료가 심사에 반영되지 않았습니다")
    await page.get_by_label("신청인이 단계 점수 공개를 요청함").check()
    await page.get_by_role("button", name="이의제기 접수").click()
    await page.get_by_text("이의제기를 접수했습니다").wait_for()
    await visit(page, screenshot, "application-appeal")

    [listed] = (await api.get(f"/cohorts/{r.cohort}/appeals", params={"status": "open"})).json()
    told = listed["disclosure"]
    await page.goto(f"/cohorts/{r.cohort}")
    await page.get_by_role("navigation", name="기수").get_by_role("link", name="이의제기").click()
    await page.get_by_text("처리할 이의제기 (1건)").wait_for()
    row = page.get_by_role("row").filter(has_text="Deep Seoul")
    await row.get_by_text(f"단계 점수: {told['stage_score']:.2f}").wait_for()
    await row.get_by_text(f"과락 기준: {told['cutoff_score']:g}").wait_for()
    await visit(page, screenshot, "appeals-open")
    await page.get_by_label("이의제기 결정 사유").fill("발표 자료 누락을 확인함")
    await page.get_by_role("button", name="인용: 다시 심사").click()
    await page.get_by_text("이의제기를 인용했습니다: 신청서가 다시 심사 중입니다.").wait_for()
    [upheld] = (await api.get(f"/cohorts/{r.cohort}/appeals")).json()
    assert upheld["status"] == "upheld"
    stage_name = {DOC: "서류평가", PRES: "발표평가"}[upheld["reinstated_to_stage"]]
    decided = page.get_by_role("table", name="결정된 이의제기")
    await decided.get_by_text(f"{stage_name}에서 다시 심사").wait_for()
    await visit(page, screenshot, "appeals-decided")
