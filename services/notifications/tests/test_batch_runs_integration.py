"""A run handled at once leaves exactly what its events leave one by one, on the real Postgres:
the same run goes through the service's consumers twice, as one batch into one schema and one
record at a time (the slow path, runs of one) into a second, and the replicas, the applicant
mails and the inbox must be equal row for row; only the managers' notices differ, grouped in
the batch (which proves the batch path ran). Covered: an application received several times in
one run with older, newer and equal event times (and older than the stored row), one erased
before its arrival in the middle of a run, decisions out of time order against stored ones,
and enrollment changes of two interleaved cohorts whose counts arrive out of order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from aihub_local.stack import StackEndpoints
from aihub_local.testing import handle_in_transaction, scratch_database_url, valid_brn
from aihub_notifications.domain.mails import (
    APPLICATION_DECIDED_MANAGER,
    APPLICATION_RECEIVED_MANAGER,
    ENROLLMENT_CHANGED_MANAGER,
)
from aihub_notifications.domain.staff_notices import GROUPED_TEMPLATES
from aihub_notifications.service_layer.erasure import erase_person
from aihub_shared.contracts import topics
from aihub_shared.contracts.applications import ApplicationDecided
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.privacy import PersonErased
from aihub_shared.contracts.registry import ServiceEvents
from aihub_shared.privacy import ERASED
from aihub_shared.runtime.consumer import EventConsumer
from services.notifications.tests.support import (
    application_received,
    cohort_published,
    emptied_pool,
    enrollment,
    event,
    founder,
    manager,
    record,
    service_consumers,
)

pytestmark = pytest.mark.integration

BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
COHORTS = ("cv-2027-1", "cv-2027-2")
MANAGER_TEMPLATES = {*GROUPED_TEMPLATES, *GROUPED_TEMPLATES.values()}


def at(seconds: int) -> datetime:
    return BASE + timedelta(seconds=seconds)


@dataclass(frozen=True)
class Schema:
    """One notifications schema and the service's consumers on it."""

    db: asyncpg.Pool
    consumers: dict[str, EventConsumer]

    async def batch(self, topic: str, events: Sequence[CloudEvent]) -> int:
        """The events as one fetched batch (the fast path: runs at once)."""
        consumer = self.consumers[_CONSUMER[topic]]
        return await consumer.handle_batch([record(topic, e) for e in events])

    async def one_by_one(self, topic: str, events: Sequence[CloudEvent]) -> int:
        """The events each alone (the slow path: runs of one)."""
        consumer = self.consumers[_CONSUMER[topic]]
        return sum([await consumer.handle_record(record(topic, e)) == "done" for e in events])


_CONSUMER = {
    topics.PROGRAMS_CATALOG: "notifications.catalog",
    topics.APPLICATIONS_LIFECYCLE: "notifications.lifecycle",
    topics.PROGRAMS_ENROLLMENTS: "notifications.enrollments",
}


@pytest.fixture(scope="module")
async def alone_dsn(local_stack: StackEndpoints) -> str:
    return await scratch_database_url(local_stack, "notifications_alone_test")


@pytest.fixture
async def schemas(
    db: asyncpg.Pool, notifications_dsn: str, alone_dsn: str
) -> AsyncIterator[tuple[Schema, Schema]]:
    """(batched, alone): two empty schemas, each with the two cohorts replicated."""
    alone_db = await emptied_pool(alone_dsn)
    try:
        pair = (
            Schema(db, service_consumers(db, notifications_dsn)),
            Schema(alone_db, service_consumers(alone_db, alone_dsn)),
        )
        published = [
            event("cohort.published", cohort_published(code, [manager(1, "ko")]), subject=code)
            for code in COHORTS
        ]
        for schema in pair:
            await schema.one_by_one(topics.PROGRAMS_CATALOG, published)
        yield pair
    finally:
        await alone_db.close()


async def state(db: asyncpg.Pool) -> dict[str, list[dict[str, Any]]]:
    """What a run leaves, without the columns the clock fills (`now()`) and without the
    managers' notices (grouped only in a batch)."""
    applicants = await db.fetch(
        "SELECT application_id, cohort_code, startup_name, contact_email, event_id, event_time,"
        " received_at, status, decided_at, erased_at IS NOT NULL AS erased"
        " FROM applicants ORDER BY application_id"
    )
    cohorts = await db.fetch(
        "SELECT cohort_code, seats, seats_taken, seats_event_time FROM cohorts ORDER BY cohort_code"
    )
    mails = await db.fetch(
        "SELECT id, event_id, event_type, template, locale, recipient, subject, body_text,"
        " body_html, status, covered_event_ids FROM deliveries"
        " WHERE NOT template = ANY($1::text[]) ORDER BY id",
        sorted(MANAGER_TEMPLATES),
    )
    inbox = await db.fetch("SELECT * FROM inbox ORDER BY 1, 2")
    return {
        "applicants": [dict(r) for r in applicants],
        "cohorts": [dict(r) for r in cohorts],
        "mails": [dict(r) for r in mails],
        "inbox": [{k: v for k, v in r.items() if "_at" not in k} for r in inbox],
    }


async def grouped(db: asyncpg.Pool, template: str) -> list[list[str]]:
    """The events the manager's mails of `template`'s kind tell of, mail by mail."""
    rows = await db.fetch(
        "SELECT event_id, covered_event_ids FROM deliveries"
        " WHERE recipient = 'pm1@hub.example.com' AND template = ANY($1::text[])"
        " ORDER BY created_at, id",
        [template, GROUPED_TEMPLATES[template]],
    )
    return [list(r["covered_event_ids"]) or [r["event_id"]] for r in rows]


def arrival(
    application_id: str, seconds: int, startup: str, cohort: str = COHORTS[0]
) -> CloudEvent:
    data = application_received(
        application_id, cohort, founder(email=f"{application_id}@startup.example")
    )
    return event(
        "application.received",
        data.model_copy(update={"startup_name": startup}),
        subject=cohort,
        time=at(seconds),
    )


async def erase(db: asyncpg.Pool, application_id: str) -> None:
    erased = PersonErased(
        request_id=f"req-{application_id}",
        requested_by="/tests/portal",
        service="applications",
        application_ids=[application_id],
    )
    made = ServiceEvents("/services/applications").new(
        "person.erased", subject=erased.request_id, data=erased
    )
    await handle_in_transaction(db, erase_person, made, erased)


async def test_a_run_of_arrivals_replicates_and_mails_as_one_by_one(
    schemas: tuple[Schema, Schema],
) -> None:
    batched, alone = schemas
    earlier = [arrival("app-old", 50, "Old")]
    run = [
        arrival("app-a", 10, "A first"),
        arrival("app-b", 20, "B", COHORTS[1]),
        arrival("app-erased", 10, "Erased"),
        arrival("app-a", 30, "A newest"),
        arrival("app-a", 20, "A older"),  # older than the newest before it: not kept
        arrival("app-old", 40, "Old again"),  # older than the stored row: not kept
        arrival("app-c", 20, "C first"),
        arrival("app-c", 20, "C same time"),  # equal times: the later one wins
    ]
    for schema in schemas:
        await schema.one_by_one(topics.APPLICATIONS_LIFECYCLE, earlier)
        await erase(schema.db, "app-erased")

    assert await batched.batch(topics.APPLICATIONS_LIFECYCLE, run) == len(run)
    assert await alone.one_by_one(topics.APPLICATIONS_LIFECYCLE, run) == len(run)

    after = await state(batched.db)
    assert after == await state(alone.db)
    replicas = {r["application_id"]: r for r in after["applicants"]}
    assert (replicas["app-a"]["startup_name"], replicas["app-a"]["event_id"]) == (
        "A newest",
        run[3].id,
    )
    assert (replicas["app-a"]["event_time"], replicas["app-a"]["received_at"]) == (at(30), at(10))
    assert replicas["app-c"]["event_id"] == run[7].id
    assert replicas["app-c"]["received_at"] == at(20)
    assert (replicas["app-old"]["startup_name"], replicas["app-old"]["event_time"]) == (
        "Old",
        at(50),
    )
    assert (replicas["app-erased"]["startup_name"], replicas["app-erased"]["erased"]) == (
        ERASED,
        True,
    )
    told = [e.id for e in run if e is not run[2]]
    receipts = [m["event_id"] for m in after["mails"]]
    # Each arrival its receipt, the erased one none.
    assert sorted(receipts) == sorted([earlier[0].id, *told])
    assert await grouped(batched.db, APPLICATION_RECEIVED_MANAGER) == [[earlier[0].id], told]
    assert await grouped(alone.db, APPLICATION_RECEIVED_MANAGER) == [
        [e.id] for e in [*earlier, *run] if e is not run[2]
    ]


def decision(name: str, application_id: str, seconds: int) -> CloudEvent:
    data = ApplicationDecided(
        application_id=application_id,
        program_code="cyber-valley",
        cohort_code=COHORTS[0],
        startup_name="Startup",
        business_registration_number=valid_brn(1),
        decided_by="pm1@hub.example.com",
        reason="Decided",
        rank=1,
    )
    return event(name, data, subject=COHORTS[0], time=at(seconds))


async def test_a_run_of_decisions_sets_the_statuses_as_one_by_one(
    schemas: tuple[Schema, Schema],
) -> None:
    batched, alone = schemas
    arrivals = [arrival(f"app-{n}", 1, f"Startup {n}") for n in range(3)]
    earlier = [decision("application.rejected", "app-1", 50)]
    run = [
        decision("application.accepted", "app-0", 20),
        decision("application.accepted", "app-1", 10),  # older than the stored rejection
        decision("application.accepted", "app-0", 10),  # older than the run's first
        decision("application.accepted", "app-2", 30),
    ]
    for schema in schemas:
        await schema.one_by_one(topics.APPLICATIONS_LIFECYCLE, [*arrivals, *earlier])

    assert await batched.batch(topics.APPLICATIONS_LIFECYCLE, run) == len(run)
    assert await alone.one_by_one(topics.APPLICATIONS_LIFECYCLE, run) == len(run)

    after = await state(batched.db)
    assert after == await state(alone.db)
    statuses = {r["application_id"]: (r["status"], r["decided_at"]) for r in after["applicants"]}
    assert statuses == {
        "app-0": ("accepted", at(20)),
        "app-1": ("rejected", at(50)),
        "app-2": ("accepted", at(30)),
    }
    assert await grouped(batched.db, APPLICATION_DECIDED_MANAGER) == [
        [earlier[0].id],
        [e.id for e in run],
    ]


def change(application_id: str, cohort: str, seconds: int, taken: int, seats: int) -> CloudEvent:
    data = enrollment(application_id, cohort).model_copy(
        update={"seats_taken": taken, "seats": seats}
    )
    return event("enrollment.confirmed", data, subject=cohort, time=at(seconds))


async def test_a_run_of_two_cohorts_enrollments_counts_seats_as_one_by_one(
    schemas: tuple[Schema, Schema],
) -> None:
    batched, alone = schemas
    arrivals = [arrival(f"app-{n}", 1, f"Startup {n}", COHORTS[n % 2]) for n in range(4)]
    earlier = [change("app-0", COHORTS[0], 50, 5, 10)]
    run = [
        change("app-0", COHORTS[0], 40, 1, 10),  # older than the stored count
        change("app-1", COHORTS[1], 20, 1, 7),  # the first applied: its seats are kept
        change("app-2", COHORTS[0], 60, 6, 10),
        change("app-3", COHORTS[1], 10, 2, 9),  # older than the run's earlier event
        change("app-1", COHORTS[1], 20, 3, 8),  # same time as the newest: applied
    ]
    for schema in schemas:
        await schema.one_by_one(topics.APPLICATIONS_LIFECYCLE, arrivals)
        await schema.one_by_one(topics.PROGRAMS_ENROLLMENTS, earlier)
        # A replica kept before seats were (`coalesce`: the first count sets them).
        await schema.db.execute(
            "UPDATE cohorts SET seats = NULL WHERE cohort_code = $1", COHORTS[1]
        )

    assert await batched.batch(topics.PROGRAMS_ENROLLMENTS, run) == len(run)
    assert await alone.one_by_one(topics.PROGRAMS_ENROLLMENTS, run) == len(run)

    after = await state(batched.db)
    assert after == await state(alone.db)
    counts = {
        r["cohort_code"]: (r["seats"], r["seats_taken"], r["seats_event_time"])
        for r in after["cohorts"]
    }
    assert counts == {COHORTS[0]: (3, 6, at(60)), COHORTS[1]: (7, 3, at(20))}
    assert await grouped(batched.db, ENROLLMENT_CHANGED_MANAGER) == [
        [earlier[0].id],
        [e.id for e in run],
    ]
