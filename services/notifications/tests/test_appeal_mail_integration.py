"""Appeals' mails through the service's own lifecycle consumer on the real Postgres.
`appeal.decided`: the applicant gets one mail in their language (the same record again: none
more), the managers none; an upheld appeal puts the applicant back in review in the replica.
`appeal.filed`: the managers who get appeals (the cohort's, by default; whoever subscribed to
`appeal` in the directory; not one who opted out) get one mail each in their language, with the
button to the application's page."""

from __future__ import annotations

import asyncpg
import pytest

from aihub_notifications.adapters import directory
from aihub_notifications.domain.staff import MailKind, Subscription
from aihub_shared.contracts import topics
from aihub_shared.contracts.applications import ApplicationAppeal, StageDisclosure
from services.notifications.tests.support import (
    application_received,
    cohort_published,
    event,
    founder,
    manager,
    record,
    service_consumers,
)

pytestmark = pytest.mark.integration


async def test_the_applicant_is_told_an_appeals_outcome_once_in_their_language(
    db: asyncpg.Pool, notifications_dsn: str
) -> None:
    consumers = service_consumers(db, notifications_dsn)
    lifecycle = consumers["notifications.lifecycle"]
    published = cohort_published(cohort="cv-appeal", managers=[manager(1, "ko")])
    await consumers["notifications.catalog"].handle_record(
        record(topics.PROGRAMS_CATALOG, event("cohort.published", published, subject="cv"))
    )
    address = "appellant@startup.example.com"
    received = application_received(
        "app-appeal", cohort="cv-appeal", contact=founder("ko", address)
    )
    await lifecycle.handle_record(
        record(topics.APPLICATIONS_LIFECYCLE, event("application.received", received))
    )
    decided = ApplicationAppeal(
        appeal_id="appeal-1",
        application_id="app-appeal",
        program_code="cyber-valley",
        cohort_code="cv-appeal",
        startup_name=received.startup_name,
        stage_code="document-review",
        status="upheld",
        reason="점수 합산 오류",
        filed_by="intake:/tests/portal",
        disclosure_requested=True,
        decision_reason="합산 오류 확인",
        decided_by="pm1@hub.example.com",
        reinstated_to_stage="presentation-review",
        disclosure=StageDisclosure(
            stage_code="document-review", level="score", stage_score=58.5, cutoff_score=60
        ),
    )
    sent = event("appeal.decided", decided)
    assert await lifecycle.handle_record(record(topics.APPLICATIONS_LIFECYCLE, sent)) == "done"
    again = await lifecycle.handle_record(record(topics.APPLICATIONS_LIFECYCLE, sent))
    assert again == "duplicate"

    rows = await db.fetch(
        "SELECT template, recipient, locale, subject FROM deliveries WHERE event_id = $1", sent.id
    )
    assert [(r["template"], r["recipient"], r["locale"]) for r in rows] == [
        ("appeal_decided_applicant", address, "ko")
    ]
    assert "서류평가 이의제기 결과 안내(인용)" in rows[0]["subject"]
    status = await db.fetchval("SELECT status FROM applicants WHERE application_id = 'app-appeal'")
    assert status == "received"


async def test_the_managers_who_get_appeals_are_told_of_a_filed_appeal_once(
    db: asyncpg.Pool, notifications_dsn: str
) -> None:
    consumers = service_consumers(db, notifications_dsn)
    lifecycle = consumers["notifications.lifecycle"]
    by_default, opted_out = manager(1, "ko"), manager(2, "en")
    published = cohort_published(cohort="cv-filed", managers=[by_default, opted_out])
    await consumers["notifications.catalog"].handle_record(
        record(topics.PROGRAMS_CATALOG, event("cohort.published", published, subject="cv"))
    )
    async with db.acquire() as conn:
        for email, kind in (
            (str(opted_out.email), MailKind.DECISION),
            ("ops@hub.example.com", MailKind.APPEAL),
        ):
            await directory.upsert_staff(
                conn, email=email, name="Staff", locale="en", role="program_manager", active=True
            )
            await directory.replace_subscriptions(conn, email, [Subscription(kind)])
    received = application_received("app-filed", cohort="cv-filed")
    await lifecycle.handle_record(
        record(topics.APPLICATIONS_LIFECYCLE, event("application.received", received))
    )
    filed = ApplicationAppeal(
        appeal_id="appeal-2",
        application_id="app-filed",
        program_code="cyber-valley",
        cohort_code="cv-filed",
        startup_name=received.startup_name,
        stage_code="document-review",
        status="open",
        reason="심사위원이 특허를 검토하지 않았습니다",
        filed_by="intake:/tests/portal",
        disclosure_requested=True,
    )
    sent = event("appeal.filed", filed, subject="cv-filed")
    assert await lifecycle.handle_record(record(topics.APPLICATIONS_LIFECYCLE, sent)) == "done"
    again = await lifecycle.handle_record(record(topics.APPLICATIONS_LIFECYCLE, sent))
    assert again == "duplicate"

    rows = await db.fetch(
        "SELECT template, recipient, locale, subject, body_text, body_html FROM deliveries"
        " WHERE event_id = $1 ORDER BY recipient",
        sent.id,
    )
    assert [(r["template"], r["recipient"], r["locale"]) for r in rows] == [
        ("appeal_filed_manager", "ops@hub.example.com", "en"),
        ("appeal_filed_manager", str(by_default.email).lower(), "ko"),
    ]
    english, korean = rows
    assert english["subject"].startswith("[Seoul AI Hub] Appeal filed: ")
    assert korean["subject"].startswith("[서울AI허브] 이의제기 접수: ")
    for row in rows:
        assert "심사위원이 특허를 검토하지 않았습니다" in row["body_text"]
        assert "/tests/portal" in row["body_text"]
        assert 'href="http://127.0.0.1:8010/applications/app-filed"' in row["body_html"]
    assert "서류평가" in korean["body_text"]
    assert "Document review" in english["body_text"]
