"""`appeal.decided` through the service's own lifecycle consumer on the real Postgres: the
applicant gets one mail in their language (the same record again: none more), the managers none;
an upheld appeal puts the applicant back in review in the replica."""

from __future__ import annotations

import asyncpg
import pytest

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
