"""Staff notices of a run of events, grouped, through the service's own consumers on the real
Postgres (records handed to `handle_batch` as Kafka hands them): one mail per manager listing
exactly the run's applications, each event told to each recipient once whatever a redelivery's
batch looks like, a poison record dead-lettered alone while the others are told one by one, and
an erased application gone from the grouped mail's stored content and bytes."""

from __future__ import annotations

import base64
import re

import asyncpg
import pytest

from aihub_local.testing import handle_in_transaction, valid_brn
from aihub_notifications.adapters import directory
from aihub_notifications.domain.staff import MailKind, Subscription
from aihub_notifications.domain.staff_notices import (
    APPLICATIONS_DECIDED_MANAGER,
    APPLICATIONS_RECEIVED_MANAGER,
    ENROLLMENTS_CHANGED_MANAGER,
)
from aihub_notifications.service_layer.erasure import erase_person
from aihub_shared.contracts import topics
from aihub_shared.contracts.applications import ApplicationDecided
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.privacy import PersonErased
from aihub_shared.contracts.registry import ServiceEvents
from aihub_shared.runtime.consumer import EventConsumer
from services.notifications.tests.support import (
    application_received,
    cohort_published,
    enrollment,
    event,
    founder,
    manager,
    record,
    service_consumers,
)

pytestmark = pytest.mark.integration

MANAGERS = ("pm1@hub.example.com", "pm2@hub.example.com")
LINKED_APPLICATION = re.compile(r"/applications/([\w-]+)")


@pytest.fixture
async def consumers(db: asyncpg.Pool, notifications_dsn: str) -> dict[str, EventConsumer]:
    """The service's consumers, with a cohort managed by a Korean and an English manager."""
    found = service_consumers(db, notifications_dsn)
    published = cohort_published(managers=[manager(1, "ko"), manager(2, "en")])
    await found["notifications.catalog"].handle_record(
        record(topics.PROGRAMS_CATALOG, event("cohort.published", published, subject="cv-2027-1"))
    )
    return found


def arrival(n: int) -> CloudEvent:
    data = application_received(f"app-{n}", contact=founder(email=f"founder{n}@startup.example"))
    return event("application.received", data.model_copy(update={"startup_name": f"Startup {n}"}))


def acceptance(application_id: str) -> CloudEvent:
    data = ApplicationDecided(
        application_id=application_id,
        program_code="cyber-valley",
        cohort_code="cv-2027-1",
        startup_name="Startup",
        business_registration_number=valid_brn(1),
        decided_by="pm1@hub.example.com",
        reason="Selected",
        rank=1,
    )
    return event("application.accepted", data, subject="cv-2027-1")


async def lifecycle(consumers: dict[str, EventConsumer], events: list[CloudEvent]) -> int:
    records = [record(topics.APPLICATIONS_LIFECYCLE, e) for e in events]
    return await consumers["notifications.lifecycle"].handle_batch(records)


async def mails_to(db: asyncpg.Pool, address: str, *templates: str) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM deliveries WHERE recipient = $1 AND template = ANY($2::text[])"
        " ORDER BY created_at, id",
        address,
        list(templates),
    )


def told_of(row: asyncpg.Record) -> list[str]:
    """The events a delivery tells of."""
    return list(row["covered_event_ids"]) or [row["event_id"]]


async def test_a_run_of_arrivals_is_one_mail_per_manager_listing_exactly_them(
    db: asyncpg.Pool, consumers: dict[str, EventConsumer]
) -> None:
    arrivals = [arrival(n) for n in range(5)]
    assert await lifecycle(consumers, arrivals) == 5

    for n, arrived in enumerate(arrivals):  # each applicant their own receipt, as before
        (receipt,) = await mails_to(
            db, f"founder{n}@startup.example", "application_received_applicant"
        )
        assert receipt["event_id"] == arrived.id
        assert receipt["covered_event_ids"] == []
    for address in MANAGERS:
        (grouped,) = await mails_to(
            db, address, APPLICATIONS_RECEIVED_MANAGER, "application_received_manager"
        )
        assert grouped["template"] == APPLICATIONS_RECEIVED_MANAGER
        assert grouped["event_id"] == arrivals[0].id
        assert grouped["covered_event_ids"] == [e.id for e in arrivals]
        assert LINKED_APPLICATION.findall(grouped["body_text"]) == [f"app-{n}" for n in range(5)]
        assert grouped["message"] is not None  # built when queued, like every mail
    (korean,) = await mails_to(db, MANAGERS[0], APPLICATIONS_RECEIVED_MANAGER)
    assert korean["subject"] == "[서울AI허브] 사이버밸리 글로벌 배치 프로그램 새 신청 5건"
    assert "Startup 3 (cv-2027-1), 담당자: Jane Park" in korean["body_text"]


async def test_a_manager_who_opted_out_of_a_kind_is_in_none_of_its_groups(
    db: asyncpg.Pool, consumers: dict[str, EventConsumer]
) -> None:
    """The directory decides per kind, as for single mails: pm2 keeps decisions only; an ops
    member subscribed to every program's new applications gets the grouped mail too."""
    async with db.acquire() as conn, conn.transaction():
        await directory.upsert_staff(
            conn, email=MANAGERS[1], name="PM 2", locale="en", role="program_manager", active=True
        )
        await directory.replace_subscriptions(
            conn, MANAGERS[1], [Subscription(MailKind.DECISION, "cyber-valley")]
        )
        await directory.upsert_staff(
            conn, email="ops@hub.example.com", name="Ops", locale="en", role="ops", active=True
        )
        await directory.replace_subscriptions(
            conn, "ops@hub.example.com", [Subscription(MailKind.NEW_APPLICATION)]
        )
    arrivals = [arrival(n) for n in range(3)]
    await lifecycle(consumers, arrivals)

    assert (
        await mails_to(
            db, MANAGERS[1], APPLICATIONS_RECEIVED_MANAGER, "application_received_manager"
        )
        == []
    )
    for address in (MANAGERS[0], "ops@hub.example.com"):
        (grouped,) = await mails_to(db, address, APPLICATIONS_RECEIVED_MANAGER)
        assert grouped["covered_event_ids"] == [e.id for e in arrivals]


async def test_each_event_is_told_once_however_a_redelivery_is_batched(
    db: asyncpg.Pool, consumers: dict[str, EventConsumer]
) -> None:
    arrivals = [arrival(n) for n in range(7)]
    await lifecycle(consumers, arrivals[:5])
    before = await db.fetchval("SELECT count(*) FROM deliveries")

    assert await lifecycle(consumers, arrivals[:5]) == 0  # the same batch again
    assert await db.fetchval("SELECT count(*) FROM deliveries") == before

    # Redelivered from another offset: two handled before, two new.
    assert await lifecycle(consumers, arrivals[3:]) == 2
    for address in MANAGERS:
        rows = await mails_to(
            db, address, APPLICATIONS_RECEIVED_MANAGER, "application_received_manager"
        )
        assert [told_of(r) for r in rows] == [
            [e.id for e in arrivals[:5]],
            [arrivals[5].id, arrivals[6].id],
        ]
    assert (
        await db.fetchval(
            "SELECT count(*) FROM deliveries WHERE template = 'application_received_applicant'"
        )
        == 7
    )


async def test_a_poison_record_is_dead_lettered_alone_and_the_rest_told_one_by_one(
    db: asyncpg.Pool, consumers: dict[str, EventConsumer]
) -> None:
    await lifecycle(consumers, [arrival(n) for n in range(3)])
    decisions = [acceptance("app-0"), acceptance("app-never-received"), acceptance("app-2")]

    assert await lifecycle(consumers, decisions) == 2

    for address in MANAGERS:
        rows = await mails_to(
            db, address, APPLICATIONS_DECIDED_MANAGER, "application_decided_manager"
        )
        # The run was rolled back and went one by one: today's single mail each.
        assert [(r["template"], r["event_id"]) for r in rows] == [
            ("application_decided_manager", decisions[0].id),
            ("application_decided_manager", decisions[2].id),
        ]
    (dead,) = await db.fetch(
        "SELECT headers FROM outbox WHERE topic = $1", f"{topics.APPLICATIONS_LIFECYCLE}.dlq"
    )
    headers = {name: base64.b64decode(value).decode() for name, value in dead["headers"]}
    assert headers["dlq_reason"] == "rejected by a business rule"
    assert "'app-never-received' was never received" in headers["dlq_detail"]


async def test_a_run_of_enrollments_is_one_mail_per_manager(
    db: asyncpg.Pool, consumers: dict[str, EventConsumer]
) -> None:
    await lifecycle(consumers, [arrival(n) for n in range(3)])
    changes = [
        event(
            "enrollment.confirmed",
            enrollment(f"app-{n}").model_copy(update={"seats_taken": n + 1}),
            subject="cv-2027-1",
        )
        for n in range(3)
    ]
    records = [record(topics.PROGRAMS_ENROLLMENTS, e) for e in changes]
    assert await consumers["notifications.enrollments"].handle_batch(records) == 3

    for address in MANAGERS:
        (grouped,) = await mails_to(
            db, address, ENROLLMENTS_CHANGED_MANAGER, "enrollment_changed_manager"
        )
        assert grouped["template"] == ENROLLMENTS_CHANGED_MANAGER
        assert grouped["covered_event_ids"] == [e.id for e in changes]
        assert LINKED_APPLICATION.findall(grouped["body_text"]) == ["app-0", "app-1", "app-2"]
    (english,) = await mails_to(db, MANAGERS[1], ENROLLMENTS_CHANGED_MANAGER)
    assert "Seats: 3 of 3 taken" in english["body_text"]  # the last event's count
    assert (
        await db.fetchval(
            "SELECT count(*) FROM deliveries WHERE template = 'enrollment_confirmed_applicant'"
        )
        == 3
    )


async def test_an_erased_application_is_gone_from_the_grouped_mail(
    db: asyncpg.Pool, consumers: dict[str, EventConsumer]
) -> None:
    await lifecycle(consumers, [arrival(n) for n in range(3)])
    erased = PersonErased(
        request_id="req-1",
        requested_by="/tests/portal",
        service="applications",
        application_ids=["app-1"],
    )
    made = ServiceEvents("/services/applications").new(
        "person.erased", subject="req-1", data=erased
    )
    await handle_in_transaction(db, erase_person, made, erased)

    leftovers = await db.fetchval(
        "SELECT count(*) FROM deliveries WHERE body_text || body_html || subject LIKE ANY($1)"
        " OR position(convert_to('app-1', 'UTF8') IN coalesce(message, '')) > 0",
        ["%app-1%", "%Startup 1%"],
    )
    assert leftovers == 0
    for address in MANAGERS:
        (grouped,) = await mails_to(db, address, APPLICATIONS_RECEIVED_MANAGER)
        assert grouped["message"] is None
        assert grouped["body_text"] == ""
