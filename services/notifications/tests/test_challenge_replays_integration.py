"""Replays of `review.challenge_decided` and `review.conflict_declared` through the service's own
lifecycle consumer (as `definition()` assembles it, minus Kafka) on the real Postgres and SMTP
server: the same records again — in the batch, as a redelivered batch, and handed to the
handlers past the inbox — and a batch whose transaction dies before its commit, then comes
again, change nothing the second time and mail nobody twice (assignment mails, reminders)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from pydantic import BaseModel

from aihub_local.faulty_smtp import FaultySmtp
from aihub_local.testing import eventually, handle_in_transaction
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.service_layer.lifecycle import lifecycle_handlers
from aihub_notifications.service_layer.reminders import ReminderScheduler
from aihub_shared.contracts import topics
from aihub_shared.contracts.applications import (
    ReviewAssigned,
    ReviewChallenge,
    ReviewConflictDeclared,
    ReviewerRef,
)
from aihub_shared.contracts.envelope import TYPE_PREFIX, CloudEvent
from aihub_shared.contracts.registry import contract
from aihub_shared.runtime.consumer import EventConsumer
from services.notifications.tests.support import (
    STARTUP,
    application_received,
    cohort_published,
    event,
    make_sender,
    one_batch,
    record,
    service_consumers,
)

pytestmark = pytest.mark.integration

COHORT = "cv-2027-1"
DOC = "document-review"
DUE = datetime.now(UTC) + timedelta(days=3)
CHALLENGED = ReviewerRef(id="challenged@hub.example.com", name="최기피")
RECUSED = ReviewerRef(id="recused@hub.example.com", name="정회피")
KEPT = ReviewerRef(id="kept@hub.example.com", name="김유지")
STAND_IN_1 = ReviewerRef(id="stand-in-1@hub.example.com", name="대체 1")
STAND_IN_2 = ReviewerRef(id="stand-in-2@hub.example.com", name="대체 2")


def lifecycle_event(name: str, data: BaseModel) -> CloudEvent:
    return event(name, data, subject=COHORT)  # lifecycle events are keyed by cohort


def review_of(app: str, reviewer: ReviewerRef) -> dict[str, Any]:
    """What every review event here says about its review."""
    return {
        "application_id": app,
        "program_code": "cyber-valley",
        "cohort_code": COHORT,
        "startup_name": STARTUP,
        "stage_code": DOC,
        "reviewer": reviewer,
    }


def assigned(app: str, reviewer: ReviewerRef, replaces: ReviewerRef | None = None) -> CloudEvent:
    data = ReviewAssigned(
        **review_of(app, reviewer),
        replaces=replaces,
        due_at=DUE,
    )
    return lifecycle_event("review.assigned", data)


def challenge(app: str, reviewer: ReviewerRef, challenge_id: str, status: str) -> CloudEvent:
    decided = status != "open"
    data = ReviewChallenge(
        challenge_id=challenge_id,
        **review_of(app, reviewer),
        status=status,
        reason="지도교수 관계",
        filed_by="intake:/test/portal",
        decision_reason="확인함" if decided else None,
        decided_by="manager@hub.example.com" if decided else None,
    )
    name = "review.challenge_decided" if decided else "review.challenged"
    return lifecycle_event(name, data)


def stepped_aside(app: str, reviewer: ReviewerRef) -> CloudEvent:
    data = ReviewConflictDeclared(
        **review_of(app, reviewer),
        declared_at=datetime.now(UTC),
    )
    return lifecycle_event("review.conflict_declared", data)


async def application_with_panel(consumers: dict[str, EventConsumer], app: str) -> None:
    """The cohort, the application and its three reviewers, as the consumers take them in."""
    published = cohort_published()
    await consumers["notifications.catalog"].handle_record(
        record(topics.PROGRAMS_CATALOG, event("cohort.published", published, subject=COHORT))
    )
    lifecycle = consumers["notifications.lifecycle"]
    received = lifecycle_event("application.received", application_received(app))
    panel = [assigned(app, r) for r in (CHALLENGED, RECUSED, KEPT)]
    applied = await lifecycle.handle_batch(
        [record(topics.APPLICATIONS_LIFECYCLE, e) for e in (received, *panel)]
    )
    assert applied == 4


def steps(app: str) -> list[CloudEvent]:
    """What applications publishes when one challenge is upheld (the stand-in's assignment
    first), a reviewer declares a conflict (likewise), and another challenge is dismissed."""
    return [
        challenge(app, CHALLENGED, f"{app}-upheld", "open"),
        assigned(app, STAND_IN_1, replaces=CHALLENGED),
        challenge(app, CHALLENGED, f"{app}-upheld", "upheld"),
        assigned(app, STAND_IN_2, replaces=RECUSED),
        stepped_aside(app, RECUSED),
        challenge(app, KEPT, f"{app}-dismissed", "open"),
        challenge(app, KEPT, f"{app}-dismissed", "dismissed"),
    ]


async def state(db: asyncpg.Pool) -> dict[str, list[Any]]:
    """Everything the lifecycle consumer writes for these events."""
    queries = {
        "assignments": "SELECT application_id, reviewer_email, due_at, submitted_at,"
        " stage_closed_at FROM review_assignments ORDER BY 1, 2",
        "challenges": "SELECT challenge_id, reviewer_email, status, changed_at"
        " FROM review_challenges ORDER BY 1",
        "deliveries": "SELECT id, recipient, template, event_id FROM deliveries ORDER BY id",
        "invitations": "SELECT email, first_event_id FROM reviewer_invitations ORDER BY 1",
        "outbox": "SELECT id, event_type FROM outbox ORDER BY id",
        "inbox": "SELECT consumer, message_key, outcome FROM inbox ORDER BY 1, 2",
    }
    return {name: [tuple(r) for r in await db.fetch(sql)] for name, sql in queries.items()}


async def assert_each_mail_once(
    db: asyncpg.Pool, dsn: str, smtp: FaultySmtp, expected: dict[str, int]
) -> None:
    """Everything queued goes out; each message reaches the SMTP server once, and each of the
    given recipients has exactly that many."""
    pending = await db.fetchval("SELECT count(*) FROM deliveries WHERE status = 'pending'")
    assert (await one_batch(make_sender(db, dsn, smtp.host, smtp.port))).sent == pending
    message_ids = [str(m["Message-ID"]) for m in smtp.received]
    assert len(set(message_ids)) == len(message_ids)
    to = Counter(str(m["To"]).rsplit("<", 1)[-1].rstrip(">") for m in smtp.received)
    assert {address: to[address] for address in expected} == expected


async def test_replayed_challenge_decisions_and_conflicts_change_nothing_and_mail_nobody_twice(
    db: asyncpg.Pool, renderer: MailRenderer, notifications_dsn: str, smtp: FaultySmtp
) -> None:
    consumers = service_consumers(db, notifications_dsn)
    lifecycle = consumers["notifications.lifecycle"]
    await application_with_panel(consumers, "app-r")
    events = steps("app-r")
    batch = [record(topics.APPLICATIONS_LIFECYCLE, e) for e in events]
    # The same records twice in one batch (a rebalance mid-fetch): each applied once.
    assert await lifecycle.handle_batch([*batch, batch[2], batch[4]]) == len(events)
    after = await state(db)
    assert [(r[0], r[1]) for r in after["assignments"]] == [
        ("app-r", str(KEPT.id)),
        ("app-r", str(STAND_IN_1.id)),
        ("app-r", str(STAND_IN_2.id)),
    ]
    assert [(r[0], r[2]) for r in after["challenges"]] == [
        ("app-r-dismissed", "dismissed"),
        ("app-r-upheld", "upheld"),
    ]

    # The whole batch redelivered (a crash after the commit, before the offsets): nothing new.
    assert await lifecycle.handle_batch(batch) == 0
    assert await state(db) == after
    # Past the inbox (its claims pruned, or a republish under the same ids): the handlers
    # themselves change nothing the second time, the opening of a decided challenge included.
    handlers = lifecycle_handlers(renderer)
    for replayed in events:
        name = replayed.type.removeprefix(TYPE_PREFIX).rsplit(".v", 1)[0]
        data = contract(name).data_model.model_validate(replayed.data)
        await handle_in_transaction(db, handlers[name], replayed, data)
    assert await state(db) == after

    # Mail: each assignment mail once (the stand-ins told of a reassignment, nobody else
    # again), and the 48-hour reminders once each, to the reviewers who still review it.
    await assert_each_mail_once(
        db,
        notifications_dsn,
        smtp,
        {str(r.id): 1 for r in (CHALLENGED, RECUSED, KEPT, STAND_IN_1, STAND_IN_2)},
    )
    at_47 = DUE - timedelta(hours=47)
    for _ in range(2):
        await ReminderScheduler(
            db, renderer, offsets=(timedelta(hours=48),), clock=lambda: at_47
        ).run_once()
    smtp.received.clear()
    await assert_each_mail_once(
        db,
        notifications_dsn,
        smtp,
        {str(r.id): 1 for r in (KEPT, STAND_IN_1, STAND_IN_2)}
        | {str(CHALLENGED.id): 0, str(RECUSED.id): 0},
    )


async def test_a_batch_that_dies_before_its_commit_leaves_nothing_and_then_counts_once(
    db: asyncpg.Pool, renderer: MailRenderer, notifications_dsn: str, smtp: FaultySmtp
) -> None:
    consumers = service_consumers(db, notifications_dsn)
    await application_with_panel(consumers, "app-c")
    before = await state(db)
    batch = [record(topics.APPLICATIONS_LIFECYCLE, e) for e in steps("app-c")]

    # The batch's transaction waits on a row lock (the recused reviewer's assignment, held
    # here) and dies there, as a killed process's would: after the challenge was upheld and
    # the first stand-in assigned in it, before its commit.
    async with db.acquire() as holder, holder.transaction():
        await holder.execute(
            "SELECT 1 FROM review_assignments WHERE application_id = 'app-c'"
            " AND reviewer_email = $1 FOR UPDATE",
            str(RECUSED.id),
        )
        crashing = asyncio.create_task(
            service_consumers(db, notifications_dsn)["notifications.lifecycle"].handle_batch(batch)
        )

        async def waiting() -> bool:
            return bool(
                await db.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted"
                )
            )

        await eventually(waiting, within=30, what="the batch to wait for the row lock")
        crashing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await crashing
    assert await state(db) == before  # the inbox's claims went with it: see the redelivery

    # Redelivered: applied once; and again: nothing.
    lifecycle = consumers["notifications.lifecycle"]
    assert await lifecycle.handle_batch(batch) == len(batch)
    after = await state(db)
    assert after != before
    assert await lifecycle.handle_batch(batch) == 0
    assert await state(db) == after
    assert Counter(r[2] for r in after["deliveries"])["review_assigned_reviewer"] == 5
    await assert_each_mail_once(
        db,
        notifications_dsn,
        smtp,
        {str(r.id): 1 for r in (CHALLENGED, RECUSED, KEPT, STAND_IN_1, STAND_IN_2)},
    )
