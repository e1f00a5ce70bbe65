"""Builders and fixtures shared by the notifications tests (import the builders from here)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from pydantic import BaseModel

from aihub_local.faulty_smtp import FaultySmtp
from aihub_local.stack import StackEndpoints
from aihub_local.testing import scratch_database_url
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.replicas import ApplicantReplica, CohortReplica
from aihub_notifications.service_layer.mailing import enrollment_confirmed_handler
from aihub_notifications.service_layer.replicas import replicate_applicant, replicate_cohort
from aihub_shared.contracts.applications import ApplicationReceived
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import CohortPublished, EnrollmentChanged
from aihub_shared.contracts.registry import contract
from aihub_shared.contracts.values import Contact
from aihub_shared.runtime.db import apply_migrations, create_pool

PROGRAM_KO = "사이버밸리 글로벌 배치 프로그램"
PROGRAM_EN = "Cyber Valley Global Batch Program"
STARTUP = "Deep Harbor AI"


def manager(n: int = 1, locale: str = "ko", email: str | None = None) -> Contact:
    return Contact.model_validate(
        {"name": f"매니저 {n}", "email": email or f"pm{n}@hub.example.com", "locale": locale}
    )


def founder(locale: str = "en", email: str = "founder@startup.example.com") -> Contact:
    return Contact.model_validate({"name": "Jane Park", "email": email, "locale": locale})


def cohort_replica(cohort: str = "cv-2027-1", managers: tuple[Contact, ...] = ()) -> CohortReplica:
    return CohortReplica(
        cohort_code=cohort,
        program_code="cyber-valley",
        program_name_ko=PROGRAM_KO,
        program_name_en=PROGRAM_EN,
        partner="Cyber Valley",
        starts_on=date(2027, 3, 2),
        ends_on=date(2027, 8, 31),
        program_managers=managers or (manager(1, "ko"), manager(2, "en")),
    )


def applicant_replica(
    application_id: str = "app-1", cohort: str = "cv-2027-1", contact: Contact | None = None
) -> ApplicantReplica:
    return ApplicantReplica(
        application_id=application_id,
        program_code="cyber-valley",
        cohort_code=cohort,
        startup_name=STARTUP,
        contact=contact or founder(),
    )


def enrollment(
    application_id: str = "app-1", cohort: str = "cv-2027-1", startup: str = STARTUP
) -> EnrollmentChanged:
    return EnrollmentChanged(
        enrollment_id="enr-1",
        application_id=application_id,
        program_code="cyber-valley",
        cohort_code=cohort,
        startup_name=startup,
        status="confirmed",
        seats=3,
        seats_taken=1,
    )


def cohort_published(
    cohort: str = "cv-2027-1",
    managers: list[Contact] | None = None,
    name_ko: str = PROGRAM_KO,
) -> CohortPublished:
    now = datetime.now(UTC)
    return CohortPublished(
        program_code="cyber-valley",
        program_name_ko=name_ko,
        program_name_en=PROGRAM_EN,
        partner="Cyber Valley",
        cohort_code=cohort,
        seats=3,
        application_opens_at=now - timedelta(days=1),
        application_closes_at=now + timedelta(days=1),
        starts_on=date(2027, 3, 2),
        ends_on=date(2027, 8, 31),
        program_managers=managers if managers is not None else [manager(1, "ko")],
    )


def application_received(
    application_id: str = "app-1", cohort: str = "cv-2027-1", contact: Contact | None = None
) -> ApplicationReceived:
    return ApplicationReceived(
        application_id=application_id,
        submission_id=f"sub-{application_id}",
        submitted_by="/tests/portal",
        program_code="cyber-valley",
        cohort_code=cohort,
        startup_name=STARTUP,
        contact=contact or founder(),
    )


def event(
    name: str, data: BaseModel, *, subject: str = "s", time: datetime | None = None
) -> CloudEvent:
    made = CloudEvent.new(type=contract(name).type, source="/tests", subject=subject, data=data)
    return made.model_copy(update={"time": time}) if time is not None else made


# ---------------------------------------------------------------------------------------------
# Integration fixtures: the real Postgres (and SMTP capture) of the local launcher's test stack.

TEST_ROLE = "notifications_test"
WAKEUP_CHANNEL = f"{TEST_ROLE}_deliveries"  # `<schema>_deliveries`, as the migration's trigger
MAIL_FROM = "서울AI허브 <no-reply@seoulaihub.kr>"


@pytest.fixture(scope="session")
async def notifications_dsn(local_stack: StackEndpoints) -> str:
    """A scratch role and schema shaped like the service's own: a notifications service that
    another test runs against the `notifications` schema never races these tests for rows."""
    return await scratch_database_url(local_stack, TEST_ROLE)


@pytest.fixture
async def db(notifications_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(notifications_dsn, max_size=8)
    await apply_migrations(pool, "aihub_notifications")
    await pool.execute(
        "TRUNCATE deliveries, delivery_attempts, cohorts, applicants, outbox, inbox, staff,"
        " subscriptions, review_assignments, dead_letters, digest_runs"
    )
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def smtp() -> Iterator[FaultySmtp]:
    """A real SMTP server on a free port, up, failing only when told to."""
    server = FaultySmtp()
    server.up()
    try:
        yield server
    finally:
        server.down()


@pytest.fixture(scope="session")
def renderer() -> MailRenderer:
    return MailRenderer()


async def handle(pool: asyncpg.Pool, handler: Any, event: CloudEvent, data: Any) -> None:
    """Run a handler as the consumer does: in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        await handler(conn, event, data)


async def queue_enrollment(
    pool: asyncpg.Pool,
    renderer: MailRenderer,
    *,
    application_id: str,
    cohort: str = "cv-2027-1",
    managers: list[Contact] | None = None,
    contact: Contact | None = None,
) -> CloudEvent:
    """Replicas filled, then `enrollment.confirmed` handled: its deliveries are pending."""
    await handle(
        pool,
        replicate_cohort,
        event("cohort.published", published := cohort_published(cohort, managers)),
        published,
    )
    received = application_received(application_id, cohort, contact)
    await handle(pool, replicate_applicant, event("application.received", received), received)
    confirmed = enrollment(application_id, cohort)
    enrollment_event = event("enrollment.confirmed", confirmed, subject=cohort)
    await handle(pool, enrollment_confirmed_handler(renderer), enrollment_event, confirmed)
    return enrollment_event
