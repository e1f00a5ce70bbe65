"""The digest's pending reviews are exact, on the real Postgres: an assignment stops being
pending when its `review.submitted` arrives, when a conflict of interest replaces it, or when
the application leaves the stage; redelivered or repeated submissions change nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from pydantic import BaseModel

from aihub_local.testing import handle_in_transaction
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.mails import DAILY_DIGEST_MANAGER
from aihub_notifications.service_layer.digest import cohort_figures, queue_digest
from aihub_notifications.service_layer.lifecycle import lifecycle_handlers
from aihub_notifications.service_layer.replicas import replicate_cohort
from aihub_shared.contracts.applications import (
    ApplicationAdvanced,
    ReviewAssigned,
    ReviewerRef,
    ReviewSubmitted,
)
from aihub_shared.contracts.envelope import CloudEvent
from services.notifications.tests.support import (
    STARTUP,
    application_received,
    cohort_published,
    event,
)

pytestmark = pytest.mark.integration

COHORT = "cv-2027-1"
DOC = "document-review"
PRES = "presentation-review"
NOW = datetime(2027, 2, 9, 23, 0, tzinfo=UTC)  # 08:00 on 10 Feb in Seoul
DAY = date(2027, 2, 10)


def reviewer(n: int) -> ReviewerRef:
    return ReviewerRef(id=f"reviewer{n}@hub.example.com", name=f"심사위원{n}")


def assigned(app: str, n: int, replaces: int | None = None) -> ReviewAssigned:
    return ReviewAssigned(
        application_id=app,
        program_code="cyber-valley",
        cohort_code=COHORT,
        startup_name=STARTUP,
        stage_code=DOC,
        reviewer=reviewer(n),
        replaces=reviewer(replaces) if replaces is not None else None,
    )


def submitted(app: str, n: int, at: datetime) -> ReviewSubmitted:
    return ReviewSubmitted(
        application_id=app,
        program_code="cyber-valley",
        cohort_code=COHORT,
        startup_name=STARTUP,
        stage_code=DOC,
        reviewer=reviewer(n),
        submitted_at=at,
    )


async def pending(db: asyncpg.Pool) -> int:
    async with db.acquire() as conn:
        [figures] = await cohort_figures(conn, NOW, DAY)
    return figures.pending_reviews


async def test_pending_reviews_count_only_assignments_still_awaiting_scores(
    db: asyncpg.Pool, renderer: MailRenderer
) -> None:
    handlers = lifecycle_handlers(renderer)

    async def deliver(name: str, data: BaseModel, cloud_event: CloudEvent | None = None) -> None:
        """Handle as the lifecycle consumer does (a given `cloud_event`: a redelivery)."""
        await handle_in_transaction(db, handlers[name], cloud_event or event(name, data), data)

    published = cohort_published(COHORT)
    await handle_in_transaction(
        db, replicate_cohort, event("cohort.published", published), published
    )
    for app in ("app-0", "app-1", "app-2"):
        await deliver("application.received", application_received(app, COHORT))
    for app, n in (("app-0", 1), ("app-0", 2), ("app-1", 1), ("app-2", 2)):
        await deliver("review.assigned", assigned(app, n))
    assert await pending(db) == 4

    # Reviewer 1 hands in app-0: one fewer. The same event redelivered, and a second
    # `review.submitted` for the same assignment (a correction), change nothing.
    first = submitted("app-0", 1, NOW - timedelta(hours=3))
    first_event = event("review.submitted", first)
    await deliver("review.submitted", first, first_event)
    assert await pending(db) == 3
    await deliver("review.submitted", first, first_event)
    await deliver("review.submitted", submitted("app-0", 1, NOW - timedelta(hours=1)))
    assert await pending(db) == 3
    kept = await db.fetchval(
        "SELECT submitted_at FROM review_assignments WHERE application_id = 'app-0'"
        " AND reviewer_email = 'reviewer1@hub.example.com'"
    )
    assert kept == NOW - timedelta(hours=3)

    # Reviewer 2 declares a conflict on app-0 and reviewer 3 replaces them: the replaced
    # assignment is not pending, the replacement is, until it is handed in.
    await deliver("review.assigned", assigned("app-0", 3, replaces=2))
    assert await pending(db) == 3  # app-0: reviewer 3; app-1: reviewer 1; app-2: reviewer 2
    await deliver("review.submitted", submitted("app-0", 3, NOW))
    assert await pending(db) == 2

    # app-1 advances although reviewer 1 never scored it: nothing is pending for it any more.
    advanced = ApplicationAdvanced(
        application_id="app-1",
        program_code="cyber-valley",
        cohort_code=COHORT,
        startup_name=STARTUP,
        from_stage=DOC,
        to_stage=PRES,
        stage_score=75.0,
    )
    await deliver("application.advanced", advanced)
    assert await pending(db) == 1

    # A submission whose assignment this service never saw (dead-lettered) still counts as
    # handed in, and is no pending review of its own.
    await deliver("review.submitted", submitted("app-2", 4, NOW))
    assert await pending(db) == 1

    # The digest says so, and the manager's mail carries the exact figure.
    assert await queue_digest(db, renderer, DAY, NOW) == 1
    subject = await db.fetchval(
        "SELECT subject FROM deliveries WHERE template = $1", DAILY_DIGEST_MANAGER
    )
    assert subject.endswith("심사 대기 1건")
    # No mail for a submission or an advance: only the receipts, the managers' new-application
    # mails, the assignments and the digest.
    kinds = await db.fetch("SELECT DISTINCT event_type FROM deliveries")
    assert not any(k["event_type"].endswith(("review.submitted.v1", "advanced.v1")) for k in kinds)
