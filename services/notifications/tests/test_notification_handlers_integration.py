"""The handlers on the real Postgres: replicas that never go back in time, deliveries queued once
per (event, recipient, template), and an enrollment that waits for a lagging replica."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from pydantic import BaseModel

from aihub_local.testing import handle_in_transaction
from aihub_notifications.adapters import directory, replicas
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.deliveries import delivery_id, message_id
from aihub_notifications.domain.replicas import CohortReplica
from aihub_notifications.service_layer.enrollments import enrollment_confirmed_handler
from aihub_notifications.service_layer.lifecycle import lifecycle_handlers
from aihub_notifications.service_layer.replicas import replicate_applicant, replicate_cohort
from aihub_shared.contracts import topics
from aihub_shared.contracts.applications import (
    ApplicationAdvanced,
    ApplicationDecided,
    ApplicationIneligible,
    ApplicationWithdrawn,
    ReviewAssigned,
    ReviewerRef,
    ReviewSubmitted,
)
from aihub_shared.contracts.programs import CohortFilled
from aihub_shared.runtime.errors import RejectedEvent, RetryLater
from services.notifications.tests.support import (
    PROGRAM_KO,
    WAKEUP_CHANNEL,
    application_received,
    cohort_published,
    enrollment,
    event,
    founder,
    manager,
    queue_enrollment,
    record,
    service_consumers,
)

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)


async def test_an_older_cohort_event_never_overwrites_a_newer_one(db: asyncpg.Pool) -> None:
    newer = cohort_published(name_ko="새 이름", managers=[manager(1), manager(2, "en")])
    older = cohort_published(name_ko="옛 이름", managers=[])
    await handle_in_transaction(
        db, replicate_cohort, event("cohort.published", newer, time=NOW), newer
    )
    await handle_in_transaction(
        db, replicate_cohort, event("cohort.published", older, time=NOW - timedelta(1)), older
    )
    async with db.acquire() as conn:
        replica = await replicas.cohort(conn, "cv-2027-1")
    assert replica is not None
    assert replica.program_name_ko == "새 이름"
    assert [str(m.email) for m in replica.program_managers] == [
        "pm1@hub.example.com",
        "pm2@hub.example.com",
    ]
    assert replica.program_managers[1].locale == "en"

    newest = cohort_published(name_ko="최신 이름", managers=[manager(3)])
    await handle_in_transaction(
        db,
        replicate_cohort,
        event("cohort.published", newest, time=NOW + timedelta(minutes=4)),  # within the skew
        newest,
    )
    async with db.acquire() as conn:
        replica = await replicas.cohort(conn, "cv-2027-1")
    assert replica is not None
    assert replica.program_name_ko == "최신 이름"
    assert [m.name for m in replica.program_managers] == ["매니저 3"]


async def test_a_cohort_event_from_the_future_is_refused_and_a_snapshot_repairs(
    db: asyncpg.Pool,
) -> None:
    real = cohort_published(name_ko="진짜 이름", managers=[manager(1)])
    await handle_in_transaction(db, replicate_cohort, event("cohort.published", real), real)
    forged = cohort_published(name_ko="가짜", managers=[manager(9)])
    with pytest.raises(RejectedEvent, match="minutes ahead"):
        await handle_in_transaction(
            db,
            replicate_cohort,
            event("cohort.published", forged, time=datetime.now(UTC) + timedelta(days=1)),
            forged,
        )
    # A state stamped later that got in before the defence existed...
    async with db.acquire() as conn:
        await replicas.upsert_cohort(
            conn,
            CohortReplica.of(forged),
            event_id="forged",
            event_time=datetime(2099, 1, 1, tzinfo=UTC),
        )
    # ...loses to the programs service's snapshot, though that is stamped earlier.
    snapshot = real.model_copy(update={"snapshot": True})
    await handle_in_transaction(db, replicate_cohort, event("cohort.published", snapshot), snapshot)
    async with db.acquire() as conn:
        replica = await replicas.cohort(conn, "cv-2027-1")
    assert replica is not None
    assert replica.program_name_ko == "진짜 이름"
    assert [m.name for m in replica.program_managers] == ["매니저 1"]


async def test_an_older_application_event_never_overwrites_a_newer_one(db: asyncpg.Pool) -> None:
    newer = application_received(contact=founder("ko", "new@startup.example.com"))
    older = application_received(contact=founder("en", "old@startup.example.com"))
    await handle_in_transaction(
        db, replicate_applicant, event("application.received", newer, time=NOW), newer
    )
    await handle_in_transaction(
        db,
        replicate_applicant,
        event("application.received", older, time=NOW - timedelta(seconds=1)),
        older,
    )
    async with db.acquire() as conn:
        replica = await replicas.applicant(conn, "app-1")
    assert replica is not None
    assert str(replica.contact.email) == "new@startup.example.com"
    assert replica.contact.locale == "ko"
    assert replica.startup_name == "Deep Harbor AI"
    assert replica.cohort_code == "cv-2027-1"


@pytest.mark.parametrize("missing", ["cohort", "applicant"])
async def test_enrollment_waits_for_a_missing_replica(
    db: asyncpg.Pool, renderer: MailRenderer, missing: str
) -> None:
    if missing != "cohort":
        published = cohort_published()
        await handle_in_transaction(
            db, replicate_cohort, event("cohort.published", published), published
        )
    if missing != "applicant":
        received = application_received()
        await handle_in_transaction(
            db, replicate_applicant, event("application.received", received), received
        )
    confirmed = enrollment()
    with pytest.raises(RetryLater):
        await handle_in_transaction(
            db,
            enrollment_confirmed_handler(renderer),
            event("enrollment.confirmed", confirmed),
            confirmed,
        )
    assert await db.fetchval("SELECT count(*) FROM deliveries") == 0


async def test_a_decision_for_an_application_never_received_is_rejected_at_once(
    db: asyncpg.Pool, renderer: MailRenderer
) -> None:
    """Its application.received would have come first on the same (cohort-keyed) partition:
    waiting for it would hold every later event of the cohort for nothing."""
    published = cohort_published()
    await handle_in_transaction(
        db, replicate_cohort, event("cohort.published", published), published
    )
    handlers = lifecycle_handlers(renderer)
    rejected = ApplicationDecided(
        application_id="never-received",
        program_code="cyber-valley",
        cohort_code="cv-2027-1",
        startup_name="Ghost AI",
        business_registration_number="2208162517",
        decided_by="pm@hub.example",
        reason="below the threshold",
    )
    withdrawn = ApplicationWithdrawn(
        application_id="never-received",
        program_code="cyber-valley",
        cohort_code="cv-2027-1",
        startup_name="Ghost AI",
        withdrawn_by="ops@hub.example",
        reason="left",
    )
    for name, data in (("application.rejected", rejected), ("application.withdrawn", withdrawn)):
        with pytest.raises(RejectedEvent, match="never received"):
            await handle_in_transaction(db, handlers[name], event(name, data), data)
    assert await db.fetchval("SELECT count(*) FROM deliveries") == 0


async def test_enrollment_queues_one_rendered_delivery_per_recipient_once(
    db: asyncpg.Pool, notifications_dsn: str, renderer: MailRenderer
) -> None:
    listener = await asyncpg.connect(notifications_dsn)
    woken = asyncio.Event()
    await listener.add_listener(WAKEUP_CHANNEL, lambda *_: woken.set())
    try:
        enrollment_event = await queue_enrollment(
            db,
            renderer,
            application_id="app-1",
            managers=[manager(1, "ko"), manager(2, "en"), manager(3, "ko", "PM1@hub.example.com")],
            contact=founder("en"),
        )
        await asyncio.wait_for(woken.wait(), timeout=5)  # NOTIFY on commit wakes the sender
    finally:
        await listener.close()

    rows = await db.fetch(
        "SELECT * FROM deliveries WHERE event_id = $1 ORDER BY template, recipient",
        enrollment_event.id,
    )
    assert [(r["template"], r["recipient"], r["locale"]) for r in rows] == [
        ("enrollment_changed_manager", "pm1@hub.example.com", "ko"),
        ("enrollment_changed_manager", "pm2@hub.example.com", "en"),
        ("enrollment_confirmed_applicant", "founder@startup.example.com", "en"),
    ]
    for row in rows:
        expected_id = delivery_id(enrollment_event.id, row["recipient"], row["template"])
        assert row["id"] == expected_id
        assert row["message_id"] == message_id(expected_id)
        assert row["event_id"] == enrollment_event.id
        assert row["event_type"] == enrollment_event.type
        assert row["correlation_id"] == enrollment_event.correlationid
        assert row["status"] == "pending"
        assert row["attempts"] == 0
        assert row["next_attempt_at"] <= datetime.now(UTC)
        assert "Deep Harbor AI" in row["subject"]
        assert "Deep Harbor AI" in row["body_text"]
        assert "Deep Harbor AI" in row["body_html"]
    ko_manager, en_manager, applicant = rows
    assert applicant["subject"] == (
        "[Seoul AI Hub] Deep Harbor AI confirmed for Cyber Valley Global Batch Program"
    )
    assert applicant["recipient_name"] == "Jane Park"
    assert ko_manager["subject"] == (
        f"[서울AI허브] 참여 확정: Deep Harbor AI — {PROGRAM_KO} (cv-2027-1)"
    )
    assert ko_manager["recipient_name"] == "매니저 1"
    assert en_manager["subject"].startswith("[Seoul AI Hub] Confirmed: Deep Harbor AI in")
    assert {r["program_code"] for r in rows} == {"cyber-valley"}

    # The same event again (a redelivery the inbox did not catch, e.g. a replay): nothing new.
    before = await db.fetchval("SELECT count(*) FROM deliveries")
    confirmed = enrollment()
    await handle_in_transaction(
        db, enrollment_confirmed_handler(renderer), enrollment_event, confirmed
    )
    assert await db.fetchval("SELECT count(*) FROM deliveries") == before


# ---------------------------------------------------------------------------------------------
# Through the service's own consumers (as assembled by `definition()`), minus Kafka.


async def test_one_consumer_group_per_topic(db: asyncpg.Pool, notifications_dsn: str) -> None:
    consumers = service_consumers(db, notifications_dsn)
    assert {name: c.topics for name, c in consumers.items()} == {
        "notifications.catalog": [topics.PROGRAMS_CATALOG],
        "notifications.lifecycle": [topics.APPLICATIONS_LIFECYCLE],
        "notifications.enrollments": [topics.PROGRAMS_ENROLLMENTS],
        "notifications.erasures": [topics.PRIVACY_ERASURES],
    }


async def test_an_enrollment_ahead_of_its_applicant_waits_then_mails_once(
    db: asyncpg.Pool, notifications_dsn: str
) -> None:
    consumers = service_consumers(db, notifications_dsn)
    published = cohort_published(managers=[manager(1)])
    await consumers["notifications.catalog"].handle_record(
        record(topics.PROGRAMS_CATALOG, event("cohort.published", published, subject="cv-2027-1"))
    )
    confirmed = event("enrollment.confirmed", enrollment(), subject="cv-2027-1")
    enrollments = consumers["notifications.enrollments"]

    # The enrollment consumer retries in place (RetryLater) while the applicant replica lags ...
    waiting = asyncio.create_task(
        enrollments.handle_record(record(topics.PROGRAMS_ENROLLMENTS, confirmed))
    )
    # Proves it keeps waiting (nothing happens), so it stays: 0.5 s is more than two retries at
    # the policy's max_backoff of 0.2 s.
    await asyncio.sleep(0.5)
    assert not waiting.done()
    assert await db.fetchval("SELECT count(*) FROM deliveries") == 0

    # ... and the lifecycle consumer, a separate group, is not held up by it.
    received = event("application.received", application_received(), subject="app-1")
    await asyncio.wait_for(
        consumers["notifications.lifecycle"].handle_record(
            record(topics.APPLICATIONS_LIFECYCLE, received)
        ),
        timeout=5,
    )
    await asyncio.wait_for(waiting, timeout=10)
    count = "SELECT count(*) FROM deliveries WHERE event_id = $1"
    assert await db.fetchval(count, confirmed.id) == 2
    assert await db.fetchval(count, received.id) == 2  # the receipt and the managers' notice

    # The same record again: the inbox skips it; no second e-mail is queued.
    await enrollments.handle_record(record(topics.PROGRAMS_ENROLLMENTS, confirmed))
    assert await db.fetchval(count, confirmed.id) == 2
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE topic LIKE '%.dlq'") == 0


async def test_a_waitlisting_is_mailed_with_its_position_and_the_seats_are_counted(
    db: asyncpg.Pool, notifications_dsn: str, renderer: MailRenderer
) -> None:
    await queue_enrollment(db, renderer, application_id="app-0", managers=[manager(1)])
    consumers = service_consumers(db, notifications_dsn)
    received = application_received("app-1")
    await consumers["notifications.lifecycle"].handle_record(
        record(topics.APPLICATIONS_LIFECYCLE, event("application.received", received))
    )
    waitlisted = enrollment().model_copy(
        update={"status": "waitlisted", "waitlist_position": 2, "seats_taken": 3}
    )
    waitlisted_event = event("enrollment.waitlisted", waitlisted)
    outcome = await consumers["notifications.enrollments"].handle_record(
        record(topics.PROGRAMS_ENROLLMENTS, waitlisted_event)
    )
    assert outcome == "done"
    rows = await db.fetch(
        "SELECT template, subject FROM deliveries WHERE event_id = $1 ORDER BY template",
        waitlisted_event.id,
    )
    assert [r["template"] for r in rows] == [
        "enrollment_changed_manager",
        "enrollment_waitlisted_applicant",
    ]
    assert "(position 2)" in rows[1]["subject"]
    async with db.acquire() as conn:
        cohort = await replicas.cohort(conn, "cv-2027-1")
    assert cohort is not None
    assert (cohort.seats, cohort.seats_taken, cohort.seats_left) == (3, 3, 0)


async def test_every_event_mails_the_right_templates_through_the_service_consumers(
    db: asyncpg.Pool, notifications_dsn: str
) -> None:
    consumers = service_consumers(db, notifications_dsn)
    lifecycle = consumers["notifications.lifecycle"]
    enrollments = consumers["notifications.enrollments"]
    published = cohort_published(managers=[manager(1, "ko")])
    await consumers["notifications.catalog"].handle_record(
        record(topics.PROGRAMS_CATALOG, event("cohort.published", published, subject="cv"))
    )
    async with db.acquire() as conn:
        # The reviewer reads English, says the directory.
        await directory.upsert_staff(
            conn,
            email="rev@hub.example.com",
            name="Reviewer",
            locale="en",
            role="reviewer",
            active=True,
        )
    decision = {
        "application_id": "app-1",
        "program_code": "cyber-valley",
        "cohort_code": "cv-2027-1",
        "startup_name": "Deep Harbor AI",
        "business_registration_number": "2208162517",
        "decided_by": "Kim",
        "reason": "Top of the ranking",
        "rank": 1,
    }
    steps: list[tuple[str, str, BaseModel]] = [
        (topics.APPLICATIONS_LIFECYCLE, "application.received", application_received()),
        (
            topics.APPLICATIONS_LIFECYCLE,
            "application.ineligible",
            ApplicationIneligible(
                application_id="app-2",
                submission_id="sub-2",
                program_code="cyber-valley",
                cohort_code="cv-2027-1",
                startup_name="Too Old Co",
                contact=founder(email="old@startup.example.com"),
                reasons=[{"code": "startup-too-old", "message": "Founded too long ago"}],
            ),
        ),
        (
            topics.APPLICATIONS_LIFECYCLE,
            "review.assigned",
            ReviewAssigned(
                application_id="app-1",
                program_code="cyber-valley",
                cohort_code="cv-2027-1",
                startup_name="Deep Harbor AI",
                stage_code="document-review",
                reviewer=ReviewerRef(id="rev@hub.example.com", name="Reviewer"),
            ),
        ),
        (  # handled ("done", not "ignored"): the digest's pending reviews; no mail
            topics.APPLICATIONS_LIFECYCLE,
            "review.submitted",
            ReviewSubmitted(
                application_id="app-1",
                program_code="cyber-valley",
                cohort_code="cv-2027-1",
                startup_name="Deep Harbor AI",
                stage_code="document-review",
                reviewer=ReviewerRef(id="rev@hub.example.com", name="Reviewer"),
                submitted_at=datetime(2027, 2, 12, 6, 30, tzinfo=UTC),
            ),
        ),
        (
            topics.APPLICATIONS_LIFECYCLE,
            "application.advanced",
            ApplicationAdvanced(
                application_id="app-1",
                program_code="cyber-valley",
                cohort_code="cv-2027-1",
                startup_name="Deep Harbor AI",
                from_stage="document-review",
                to_stage="presentation-review",
                stage_score=81.5,
            ),
        ),
        (
            topics.APPLICATIONS_LIFECYCLE,
            "application.accepted",
            ApplicationDecided.model_validate(decision),
        ),
        (topics.PROGRAMS_ENROLLMENTS, "enrollment.confirmed", enrollment()),
        (
            topics.PROGRAMS_ENROLLMENTS,
            "cohort.filled",
            CohortFilled(
                program_code="cyber-valley",
                cohort_code="cv-2027-1",
                seats=3,
                seats_taken=3,
                waitlisted=0,
            ),
        ),
        (
            topics.PROGRAMS_ENROLLMENTS,
            "enrollment.cancelled",
            enrollment().model_copy(update={"status": "cancelled", "reason": "withdrawn"}),
        ),
        (topics.PROGRAMS_ENROLLMENTS, "enrollment.promoted", enrollment()),
        (
            topics.APPLICATIONS_LIFECYCLE,
            "application.rejected",
            ApplicationDecided.model_validate({**decision, "rank": None}),
        ),
        (
            topics.APPLICATIONS_LIFECYCLE,
            "application.withdrawn",
            ApplicationWithdrawn(
                application_id="app-1",
                program_code="cyber-valley",
                cohort_code="cv-2027-1",
                startup_name="Deep Harbor AI",
                withdrawn_by="Jane Park",
                reason="Moving abroad",
            ),
        ),
    ]
    mailed: dict[str, list[tuple[str, str, str]]] = {}
    for topic, name, data in steps:
        sent = event(name, data)
        consumer = lifecycle if topic == topics.APPLICATIONS_LIFECYCLE else enrollments
        assert await consumer.handle_record(record(topic, sent)) == "done", name
        rows = await db.fetch(
            "SELECT template, recipient, locale FROM deliveries WHERE event_id = $1"
            " ORDER BY template",
            sent.id,
        )
        mailed[name] = [(r["template"], r["recipient"], r["locale"]) for r in rows]
    pm = "pm1@hub.example.com"
    founder_address = "founder@startup.example.com"
    assert mailed == {
        "application.received": [
            ("application_received_applicant", founder_address, "en"),
            ("application_received_manager", pm, "ko"),
        ],
        "application.ineligible": [
            ("application_ineligible_applicant", "old@startup.example.com", "en"),
            ("application_ineligible_manager", pm, "ko"),
        ],
        "review.assigned": [("review_assigned_reviewer", "rev@hub.example.com", "en")],
        "review.submitted": [],
        "application.advanced": [],
        "application.accepted": [("application_decided_manager", pm, "ko")],
        "enrollment.confirmed": [
            ("enrollment_changed_manager", pm, "ko"),
            ("enrollment_confirmed_applicant", founder_address, "en"),
        ],
        "cohort.filled": [("cohort_filled_manager", pm, "ko")],
        "enrollment.cancelled": [
            ("enrollment_cancelled_applicant", founder_address, "en"),
            ("enrollment_changed_manager", pm, "ko"),
        ],
        "enrollment.promoted": [
            ("enrollment_changed_manager", pm, "ko"),
            ("enrollment_promoted_applicant", founder_address, "en"),
        ],
        "application.rejected": [
            ("application_decided_manager", pm, "ko"),
            ("application_rejected_applicant", founder_address, "en"),
        ],
        "application.withdrawn": [
            ("application_withdrawn_applicant", founder_address, "en"),
            ("enrollment_changed_manager", pm, "ko"),
        ],
    }
    status = await db.fetchval("SELECT status FROM applicants WHERE application_id = 'app-1'")
    assert status == "withdrawn"
