"""Reviewer reminders on the real Postgres and SMTP server, the events handled as the consumer
handles them and the reminder worker driven by its clock: each reminder arrives once (two
workers scanning together), in the reviewer's language, with the button to the scoring page;
none once the review is scored or its reviewer stepped aside (a conflict declared, a challenge
upheld), none while a challenge of the reviewer is open (resumed when it is dismissed); a blind
stage's
reminder names the anonymous label only; past the due time the digest counts it as overdue."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from pydantic import BaseModel

from aihub_local.faulty_smtp import FaultySmtp
from aihub_local.testing import handle_in_transaction
from aihub_notifications.adapters import directory
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.reminders import REVIEW_REMINDER_REVIEWER
from aihub_notifications.service_layer.digest import cohort_figures
from aihub_notifications.service_layer.lifecycle import lifecycle_handlers
from aihub_notifications.service_layer.reminders import ReminderScheduler
from aihub_notifications.service_layer.replicas import replicate_cohort
from aihub_shared.contracts.applications import (
    ReviewAssigned,
    ReviewChallenge,
    ReviewConflictDeclared,
    ReviewerRef,
    ReviewSubmitted,
)
from services.notifications.tests.support import (
    PROGRAM_EN,
    PROGRAM_KO,
    STARTUP,
    application_received,
    cohort_published,
    event,
    make_sender,
    one_batch,
)

pytestmark = pytest.mark.integration

DUE = datetime(2027, 2, 15, 9, 0, tzinfo=UTC)  # 18:00 in Seoul
OFFSETS = (timedelta(hours=48), timedelta(hours=24))
KOREAN = ReviewerRef(id="Kim.Reviewer@hub.example.com", name="김심사")  # not in the directory
ENGLISH = ReviewerRef(id="anna.weber@hub.example.com", name="Anna Weber")
SCORER = ReviewerRef(id="quick.scorer@hub.example.com", name="박빠름")
CHALLENGED = ReviewerRef(id="challenged@hub.example.com", name="최기피")
RECUSED = ReviewerRef(id="recused@hub.example.com", name="정회피")
DOC = "document-review"


def assigned(app: str, reviewer: ReviewerRef, label: str | None = None) -> ReviewAssigned:
    return ReviewAssigned(
        application_id=app,
        program_code="cyber-valley",
        cohort_code="cv-2027-1",
        startup_name=STARTUP,
        stage_code=DOC,
        reviewer=reviewer,
        due_at=DUE,
        anonymous_label=label,
    )


def scored(app: str, reviewer: ReviewerRef) -> ReviewSubmitted:
    return ReviewSubmitted(
        application_id=app,
        program_code="cyber-valley",
        cohort_code="cv-2027-1",
        startup_name=STARTUP,
        stage_code=DOC,
        reviewer=reviewer,
        submitted_at=datetime.now(UTC),
    )


def upheld(app: str, reviewer: ReviewerRef) -> ReviewChallenge:
    return ReviewChallenge(
        challenge_id="ch-1",
        application_id=app,
        program_code="cyber-valley",
        cohort_code="cv-2027-1",
        startup_name=STARTUP,
        stage_code=DOC,
        reviewer=reviewer,
        status="upheld",
        reason="지도교수 관계",
        filed_by="recruit-portal",
        decision_reason="이해관계 확인",
        decided_by="manager@hub.example.com",
    )


def stepped_aside(app: str, reviewer: ReviewerRef) -> ReviewConflictDeclared:
    return ReviewConflictDeclared(
        application_id=app,
        program_code="cyber-valley",
        cohort_code="cv-2027-1",
        startup_name=STARTUP,
        stage_code=DOC,
        reviewer=reviewer,
        declared_at=datetime.now(UTC),
    )


class Lifecycle:
    def __init__(self, db: asyncpg.Pool, renderer: MailRenderer) -> None:
        self._db = db
        self._handlers = lifecycle_handlers(renderer)

    async def handle(self, name: str, data: BaseModel) -> None:
        await handle_in_transaction(self._db, self._handlers[name], event(name, data), data)


async def cohort_with_application(db: asyncpg.Pool, lifecycle: Lifecycle, app: str) -> None:
    published = cohort_published()
    await handle_in_transaction(
        db, replicate_cohort, event("cohort.published", published), published
    )
    await lifecycle.handle("application.received", application_received(app))


def worker(db: asyncpg.Pool, renderer: MailRenderer, now: datetime) -> ReminderScheduler:
    return ReminderScheduler(db, renderer, offsets=OFFSETS, clock=lambda: now)


async def reminders_queued(db: asyncpg.Pool) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM deliveries WHERE template = $1 ORDER BY created_at, recipient",
        REVIEW_REMINDER_REVIEWER,
    )


async def test_each_reminder_once_in_the_reviewer_language_and_none_once_scored(
    db: asyncpg.Pool, renderer: MailRenderer, notifications_dsn: str, smtp: FaultySmtp
) -> None:
    lifecycle = Lifecycle(db, renderer)
    await cohort_with_application(db, lifecycle, "app-1")
    async with db.acquire() as conn:
        await directory.upsert_staff(
            conn,
            email=str(ENGLISH.id),
            name=ENGLISH.name,
            locale="en",
            role="reviewer",
            active=True,
        )
    for reviewer in (KOREAN, ENGLISH, SCORER, CHALLENGED, RECUSED):
        await lifecycle.handle("review.assigned", assigned("app-1", reviewer))
    await lifecycle.handle("review.submitted", scored("app-1", SCORER))
    await lifecycle.handle("review.challenge_decided", upheld("app-1", CHALLENGED))
    await lifecycle.handle("review.conflict_declared", stepped_aside("app-1", RECUSED))
    await db.execute("DELETE FROM deliveries")  # the assignment mails: not what is tested here

    assert await worker(db, renderer, DUE - timedelta(hours=49)).run_once() == 0

    # 47 hours before: the 48-hour reminders, once, though two instances scan at the same time.
    at_47 = DUE - timedelta(hours=47)
    counts = await asyncio.gather(*(worker(db, renderer, at_47).run_once() for _ in range(2)))
    assert sum(counts) == 2
    assert await worker(db, renderer, at_47).run_once() == 0
    queued = await reminders_queued(db)
    assert sorted(r["recipient"] for r in queued) == [str(ENGLISH.id), str(KOREAN.id).lower()]

    # Each is a `reminder.sent` fact too, the cause of its delivery.
    facts = await db.fetch(
        "SELECT topic, value FROM outbox WHERE event_type LIKE '%.reminder.sent.v1' ORDER BY id"
    )
    assert {f["topic"] for f in facts} == {"notifications.deliveries"}
    sent_events = [json.loads(f["value"]) for f in facts]
    assert len(sent_events) == 2
    assert {e["data"]["delivery_id"] for e in sent_events} == {str(r["id"]) for r in queued}
    assert {e["data"]["offset_hours"] for e in sent_events} == {48}
    assert {e["id"] for e in sent_events} == {r["event_id"] for r in queued}

    assert (await one_batch(make_sender(db, notifications_dsn, smtp.host, smtp.port))).sent == 2
    by_recipient = {str(m["To"]).rsplit("<", 1)[-1].rstrip(">"): m for m in smtp.received}
    korean, english = by_recipient[str(KOREAN.id).lower()], by_recipient[str(ENGLISH.id)]
    assert korean["Content-Language"] == "ko"
    assert english["Content-Language"] == "en"
    assert "심사 기한 안내" in str(korean["Subject"])
    assert PROGRAM_KO in str(korean["Subject"])
    assert "Review due 2027-02-15 18:00 KST" in str(english["Subject"])
    assert PROGRAM_EN in str(english["Subject"])
    for message, phrase in ((korean, "약 48시간"), (english, "about 48 hours")):
        html, text = message.get_body(("html",)), message.get_body(("plain",))
        assert html is not None
        assert text is not None
        assert phrase in str(text.get_content())
        assert 'href="http://127.0.0.1:8010/reviews/app-1"' in str(html.get_content())
        assert STARTUP in str(text.get_content())

    # The Korean reviewer scores; 23 hours before, only the English one is reminded again.
    await lifecycle.handle("review.submitted", scored("app-1", KOREAN))
    at_23 = DUE - timedelta(hours=23)
    assert await worker(db, renderer, at_23).run_once() == 1
    assert await worker(db, renderer, at_23).run_once() == 0
    assert [r["recipient"] for r in await reminders_queued(db)][-1] == str(ENGLISH.id)
    assert len(await reminders_queued(db)) == 3

    # Past the due time: no more reminders, and the manager's digest counts it as overdue
    # (neither the scored reviews nor those of the reviewers who stepped aside or were removed).
    after = DUE + timedelta(hours=1)
    assert await worker(db, renderer, after).run_once() == 0
    async with db.acquire() as conn:
        [figures] = await cohort_figures(conn, after, after.date())
        [before_due] = await cohort_figures(conn, at_23, at_23.date())
    assert (figures.pending_reviews, figures.overdue_reviews) == (1, 1)
    assert (before_due.pending_reviews, before_due.overdue_reviews) == (1, 0)


async def test_a_blind_stage_reminder_names_the_label_only(
    db: asyncpg.Pool, renderer: MailRenderer
) -> None:
    lifecycle = Lifecycle(db, renderer)
    await cohort_with_application(db, lifecycle, "app-2")
    await lifecycle.handle("review.assigned", assigned("app-2", KOREAN, label="지원기업-7F3A"))
    assert await worker(db, renderer, DUE - timedelta(hours=1)).run_once() == 1
    [reminder] = await reminders_queued(db)
    for part in ("subject", "body_text", "body_html"):
        assert "지원기업-7F3A" in reminder[part]
        assert STARTUP not in reminder[part]


async def test_no_reminder_for_a_decided_application_or_without_a_due_time(
    db: asyncpg.Pool, renderer: MailRenderer
) -> None:
    lifecycle = Lifecycle(db, renderer)
    await cohort_with_application(db, lifecycle, "app-3")
    undated = assigned("app-3", ENGLISH).model_copy(update={"due_at": None})
    await lifecycle.handle("review.assigned", undated)
    await lifecycle.handle("review.assigned", assigned("app-3", KOREAN))
    await db.execute("UPDATE applicants SET status = 'rejected' WHERE application_id = 'app-3'")
    assert await worker(db, renderer, DUE - timedelta(hours=1)).run_once() == 0
    assert await reminders_queued(db) == []


def challenge(app: str, reviewer: ReviewerRef, challenge_id: str, status: str) -> ReviewChallenge:
    return upheld(app, reviewer).model_copy(
        update={
            "challenge_id": challenge_id,
            "status": status,
            **({"decision_reason": None, "decided_by": None} if status == "open" else {}),
        }
    )


async def test_reminders_pause_while_a_challenge_is_open_and_resume_when_it_is_dismissed(
    db: asyncpg.Pool, renderer: MailRenderer
) -> None:
    lifecycle = Lifecycle(db, renderer)
    await cohort_with_application(db, lifecycle, "app-5")
    for reviewer in (CHALLENGED, KOREAN):
        await lifecycle.handle("review.assigned", assigned("app-5", reviewer))
    await db.execute("DELETE FROM deliveries")  # the assignment mails: not what is tested here

    async def reminded(at: datetime) -> list[str]:
        await worker(db, renderer, at).run_once()
        return [r["recipient"] for r in await reminders_queued(db)]

    # Challenged before the first reminder fell due: only the other reviewer is reminded.
    await lifecycle.handle("review.challenged", challenge("app-5", CHALLENGED, "ch-5", "open"))
    assert await reminded(DUE - timedelta(hours=47)) == [str(KOREAN.id).lower()]
    assert await reminded(DUE - timedelta(hours=30)) == [str(KOREAN.id).lower()]

    # Dismissed: the assignment is open again with its due time; the 48-hour reminder that fell
    # due during the pause is sent now, once, and the 24-hour one at its time.
    dismissed = challenge("app-5", CHALLENGED, "ch-5", "dismissed")
    await lifecycle.handle("review.challenge_decided", dismissed)
    at_29 = DUE - timedelta(hours=29)
    assert await reminded(at_29) == [str(KOREAN.id).lower(), str(CHALLENGED.id)]
    assert await worker(db, renderer, at_29).run_once() == 0
    # The opening again (a replay, or a dead letter handed back late) does not reopen it.
    await lifecycle.handle("review.challenged", challenge("app-5", CHALLENGED, "ch-5", "open"))
    queued = await reminded(DUE - timedelta(hours=23))
    assert queued.count(str(CHALLENGED.id)) == 2
    assert queued.count(str(KOREAN.id).lower()) == 2
    hours = await db.fetch(
        "SELECT offset_seconds / 3600 AS h FROM review_reminders"
        " WHERE application_id = 'app-5' AND reviewer_email = $1 ORDER BY offset_seconds DESC",
        str(CHALLENGED.id),
    )
    assert [r["h"] for r in hours] == [48, 24]


async def test_a_dismissal_past_the_due_time_sends_nothing_late_and_an_upheld_one_ends_it(
    db: asyncpg.Pool, renderer: MailRenderer
) -> None:
    lifecycle = Lifecycle(db, renderer)
    await cohort_with_application(db, lifecycle, "app-6")
    await lifecycle.handle("review.assigned", assigned("app-6", CHALLENGED))
    await db.execute("DELETE FROM deliveries")
    await lifecycle.handle("review.challenged", challenge("app-6", CHALLENGED, "ch-6", "open"))
    assert await worker(db, renderer, DUE - timedelta(hours=1)).run_once() == 0
    dismissed = challenge("app-6", CHALLENGED, "ch-6", "dismissed")
    await lifecycle.handle("review.challenge_decided", dismissed)
    # Past the due time: overdue for the digest, no reminder for the reviewer.
    assert await worker(db, renderer, DUE + timedelta(minutes=1)).run_once() == 0
    # A second challenge of the same reviewer pauses again; upheld, they are off the stage.
    await lifecycle.handle("review.challenged", challenge("app-6", CHALLENGED, "ch-7", "open"))
    await lifecycle.handle(
        "review.challenge_decided", challenge("app-6", CHALLENGED, "ch-7", "upheld")
    )
    assert await reminders_queued(db) == []
    assert (
        await db.fetchval("SELECT count(*) FROM review_assignments WHERE application_id = 'app-6'")
        == 0
    )
