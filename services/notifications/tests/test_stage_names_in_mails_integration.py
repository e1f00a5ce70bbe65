"""Mails name a cohort's real review stages, in the reader's language, as the catalog replica
has them: the membership cohort's one stage, AI education's eligibility check, and the
reviewer's stage by its name (서류평가), never its code. Real Postgres, the service's consumers."""

from __future__ import annotations

import asyncpg
import pytest

from aihub_notifications.adapters import directory
from aihub_shared.contracts import topics
from aihub_shared.contracts.applications import ReviewAssigned, ReviewerRef
from aihub_shared.contracts.programs import ReviewStage, RubricCriterion
from services.notifications.tests.support import (
    application_received,
    cohort_published,
    event,
    founder,
    record,
    service_consumers,
)

pytestmark = pytest.mark.integration

ELIGIBILITY_CHECK = ReviewStage(
    code="eligibility-check",
    name_ko="자격 확인",
    name_en="Eligibility check",
    weight=100,
    criteria=[
        RubricCriterion(
            code="hub-company", name_ko="허브 기업 여부", name_en="Hub company", weight=1
        )
    ],
    min_reviewers=1,
)
ONLY_DOCUMENTS = ReviewStage(
    code="document-review",
    name_ko="서류평가",
    name_en="Document review",
    weight=100,
    criteria=[RubricCriterion(code="team", name_ko="팀 역량", name_en="Team", weight=1)],
)


async def mails_of(db: asyncpg.Pool, template: str, recipient: str) -> asyncpg.Record:
    row: asyncpg.Record | None = await db.fetchrow(
        "SELECT subject, body_text, body_html FROM deliveries"
        " WHERE template = $1 AND recipient = $2",
        template,
        recipient,
    )
    assert row is not None, (template, recipient)
    return row


@pytest.mark.parametrize(
    ("stages", "ko", "en", "never"),
    [
        (
            None,  # the default: 서류평가 → 발표평가
            "서류평가 → 발표평가 순서로 심사한 뒤",
            "reviewed in 2 stages — Document review → Presentation review —",
            "eligibility",
        ),
        ([ONLY_DOCUMENTS], "서류평가 단계를 거쳐", "in one stage — Document review —", "발표평가"),
        (
            [ELIGIBILITY_CHECK],
            "자격 확인 단계를 거쳐",
            "in one stage — Eligibility check —",
            "서류평가",
        ),
    ],
)
async def test_the_receipt_mail_names_the_cohorts_own_stages(
    db: asyncpg.Pool,
    notifications_dsn: str,
    stages: list[ReviewStage] | None,
    ko: str,
    en: str,
    never: str,
) -> None:
    consumers = service_consumers(db, notifications_dsn)
    published = cohort_published(stages=stages)
    await consumers["notifications.catalog"].handle_record(
        record(topics.PROGRAMS_CATALOG, event("cohort.published", published, subject="cv"))
    )
    for n, locale in enumerate(("ko", "en")):
        address = f"{locale}@startup.example.com"
        received = application_received(f"app-{n}", contact=founder(locale, address))
        await consumers["notifications.lifecycle"].handle_record(
            record(topics.APPLICATIONS_LIFECYCLE, event("application.received", received))
        )
    korean = await mails_of(db, "application_received_applicant", "ko@startup.example.com")
    english = await mails_of(db, "application_received_applicant", "en@startup.example.com")
    for mail, sentence in ((korean, ko), (english, en)):
        assert sentence in mail["body_text"]
        assert sentence in mail["body_html"]
        assert never not in mail["body_text"].lower()
        for code in ("document-review", "presentation-review", "eligibility-check"):
            assert code not in mail["body_text"] + mail["body_html"]


@pytest.mark.parametrize(("locale", "name"), [("ko", "서류평가"), ("en", "Document review")])
async def test_the_reviewer_mail_names_the_stage_not_its_code(
    db: asyncpg.Pool, notifications_dsn: str, locale: str, name: str
) -> None:
    consumers = service_consumers(db, notifications_dsn)
    published = cohort_published()
    await consumers["notifications.catalog"].handle_record(
        record(topics.PROGRAMS_CATALOG, event("cohort.published", published, subject="cv"))
    )
    async with db.acquire() as conn:
        await directory.upsert_staff(
            conn, email="rev@hub.example.com", name="R", locale=locale, role="reviewer", active=True
        )
    assigned = ReviewAssigned(
        application_id="app-1",
        program_code=published.program_code,
        cohort_code=published.cohort_code,
        startup_name="Deep Harbor AI",
        stage_code="document-review",
        reviewer=ReviewerRef(id="rev@hub.example.com", name="R"),
    )
    await consumers["notifications.lifecycle"].handle_record(
        record(topics.APPLICATIONS_LIFECYCLE, event("review.assigned", assigned))
    )
    mail = await mails_of(db, "review_assigned_reviewer", "rev@hub.example.com")
    for part in ("subject", "body_text", "body_html"):
        assert name in mail[part], part
        assert "document-review" not in mail[part], part
