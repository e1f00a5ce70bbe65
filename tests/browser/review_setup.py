"""Setting the stage for the reviewer pages over the services' APIs, as a manager and a portal
would: a cohort with questions seeded into the catalog, an application submitted, reviewers
named. The pages themselves are then used only through the browser."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from aihub_local.platform import PlatformServices, seed_catalog
from aihub_local.stack import StackEndpoints
from aihub_local.testing import StaffAccount, StaffHeaders, eventually, valid_brn
from tests.e2e.support import write_test_catalog

ADMIN = StaffAccount("admin@hub.example", ("admin",))
PORTAL = StaffAccount("portal@hub.example", ("ops",))
QUESTION = {"key": "why-now", "label_ko": "왜 지금인가요?", "label_en": "Why now?"}
ANSWER = "공장 세 곳에서 실증을 마쳤습니다."


@dataclass(frozen=True)
class ReviewedApplication:
    cohort_code: str
    application_id: str
    startup_name: str
    due_at: datetime


async def application_under_review(
    stack: StackEndpoints, platform: PlatformServices, tmp_path: Path, reviewers: list[StaffAccount]
) -> ReviewedApplication:
    """A fresh cohort with one application, `reviewers` in the document review's pool and the
    first two of them assigned (the pool's least loaded, then by e-mail), due in three days."""
    suffix = uuid.uuid4().hex[:8]
    program, cohort = f"console-{suffix}", f"console-cohort-{suffix}"
    path = write_test_catalog(
        tmp_path,
        program=program,
        cohort=cohort,
        seats=2,
        manager_email="pm@hub.example",
        questions=[QUESTION],
    )
    await asyncio.to_thread(seed_catalog, stack, path)
    # Accounts before they are named: nobody is invited (an invitation asks for a new password).
    for reviewer in reviewers:
        await asyncio.to_thread(reviewer.token)
    startup_name = f"비전 스타트업 {suffix}"
    due_at = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3)
    async with httpx.AsyncClient(base_url=platform.url("applications"), timeout=10) as api:
        await _wait_for_cohort(api, cohort)
        application_id = await _submit(api, program, cohort, startup_name)
        assigned = await api.post(
            f"/cohorts/{cohort}/stages/document-review/assignments",
            json={
                "reviewers": [{"id": r.email, "name": r.name} for r in reviewers],
                "per_application": 2,
                "due_at": due_at.isoformat(),
            },
            headers=StaffHeaders(ADMIN),
        )
        assert assigned.status_code == 200, assigned.text
        named = {pair["reviewer_id"] for pair in assigned.json()["assigned"]}
        assert named == {reviewers[0].email, reviewers[1].email}
    return ReviewedApplication(cohort, application_id, startup_name, due_at)


async def _wait_for_cohort(api: httpx.AsyncClient, cohort: str) -> None:
    async def replicated() -> bool:
        answer = await api.get("/cohorts", headers=StaffHeaders(ADMIN))
        return any(c["cohort_code"] == cohort for c in answer.json())

    await eventually(replicated, what=f"cohort {cohort} in the applications replica")


async def _submit(api: httpx.AsyncClient, program: str, cohort: str, startup_name: str) -> str:
    submission = {
        "submission_id": f"console-{uuid.uuid4().hex[:12]}",
        "program_code": program,
        "cohort_code": cohort,
        "startup": {
            "name": startup_name,
            "business_registration_number": valid_brn(uuid.uuid4().int),
            "founded_on": "2023-05-02",
            "employees": 8,
            "website": "https://vision.example",
            "ai_field": "컴퓨터 비전",
        },
        "contact": {"name": "박민아", "email": "founder@startup.example", "locale": "ko"},
        "answers": {QUESTION["key"]: ANSWER},
        "consent_personal_info": True,
    }
    answer = await api.post("/intake/applications", json=submission, headers=StaffHeaders(PORTAL))
    assert answer.status_code == 200, answer.text
    receipt: dict[str, Any] = answer.json()
    assert receipt["outcome"] == "accepted", receipt
    return str(receipt["application_id"])
