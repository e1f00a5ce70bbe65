"""Builders and helpers the notifications test modules share (fixtures are in `conftest.py`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
from aiokafka import ConsumerRecord
from pydantic import BaseModel

from aihub_local.faulty_smtp import FaultySmtp
from aihub_local.processes import ManagedProcess
from aihub_local.testing import (
    UNUSED_KAFKA_LOGIN,
    consumer_record,
    eventually,
    handle_in_transaction,
    oidc_issuer_url,
)
from aihub_notifications.adapters.smtp import SmtpConfig, SmtpTransport
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.replicas import ApplicantReplica, CohortReplica
from aihub_notifications.entrypoints.app import definition
from aihub_notifications.service_layer.enrollments import enrollment_confirmed_handler
from aihub_notifications.service_layer.replicas import replicate_applicant, replicate_cohort
from aihub_notifications.service_layer.sender import BatchResult, MailSender, SenderConfig
from aihub_notifications.settings import Settings
from aihub_shared.contracts.applications import ApplicationReceived
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import (
    CohortPublished,
    EnrollmentChanged,
    ReviewStage,
    default_review_stages,
)
from aihub_shared.contracts.registry import contract
from aihub_shared.contracts.values import Contact
from aihub_shared.runtime.consumer import EventConsumer
from aihub_shared.runtime.db import apply_migrations, create_pool
from aihub_shared.runtime.failpoints import ENV as FAILPOINT
from aihub_shared.runtime.retry import RetryPolicy
from aihub_shared.runtime.wakeup import Wakeup

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
    stages: list[ReviewStage] | None = None,
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
        review_stages=stages if stages is not None else default_review_stages(),
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
# Helpers for the integration tests (the real Postgres and SMTP of the launcher's test stack).

TEST_ROLE = "notifications_test"
WAKEUP_CHANNEL = f"{TEST_ROLE}_deliveries"  # `<schema>_deliveries`, as the migration's trigger
MAIL_FROM = "서울AI허브 <no-reply@seoulaihub.kr>"
#: The test senders' longest waits: a mail the server refused is due again within
#: `RETRY_MAX_SECONDS`, and the worker pauses at most `PAUSE_MAX_SECONDS` after a failed batch.
RETRY_MAX_SECONDS = 2.0
PAUSE_MAX_SECONDS = 0.5


async def emptied_pool(dsn: str) -> asyncpg.Pool:
    """A pool on a scratch schema, migrated, every table emptied."""
    pool = await create_pool(dsn, max_size=8)
    await apply_migrations(pool, "aihub_notifications")
    await pool.execute(
        "TRUNCATE deliveries, delivery_attempts, cohorts, applicants, outbox, inbox, staff,"
        " subscriptions, review_assignments, review_reminders, dead_letters, digest_runs,"
        " reviewer_invitations, review_challenges"
    )
    return pool


def make_sender(
    db: asyncpg.Pool,
    dsn: str,
    host: str,
    port: int,
    *,
    batch_size: int = 50,
    smtp: SmtpConfig | None = None,
) -> MailSender:
    return MailSender(
        db,
        Wakeup(dsn, WAKEUP_CHANNEL, poll_interval=0.1),
        SmtpTransport(smtp or SmtpConfig(host=host, port=port, timeout_seconds=5)),
        SenderConfig(
            mail_from=MAIL_FROM,
            batch_size=batch_size,
            retry_base_seconds=0.5,
            retry_max_seconds=RETRY_MAX_SECONDS,
            pause_initial_seconds=0.1,
            pause_max_seconds=PAUSE_MAX_SECONDS,
        ),
    )


async def one_batch(sender: MailSender) -> BatchResult:
    """One `send_due`, then the sender closed (its SMTP connection and its listener)."""
    try:
        return await sender.send_due()
    finally:
        await sender.stop()
        await sender.run()  # returns at once when stopped


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
    await handle_in_transaction(
        pool,
        replicate_cohort,
        event("cohort.published", published := cohort_published(cohort, managers)),
        published,
    )
    received = application_received(application_id, cohort, contact)
    await handle_in_transaction(
        pool, replicate_applicant, event("application.received", received), received
    )
    confirmed = enrollment(application_id, cohort)
    enrollment_event = event("enrollment.confirmed", confirmed, subject=cohort)
    await handle_in_transaction(
        pool, enrollment_confirmed_handler(renderer), enrollment_event, confirmed
    )
    return enrollment_event


def record(topic: str, cloud_event: CloudEvent) -> ConsumerRecord:
    return consumer_record(topic, cloud_event.to_bytes(), key=(cloud_event.subject or "").encode())


def service_consumers(db: asyncpg.Pool, dsn: str) -> dict[str, EventConsumer]:
    """The service's own consumers, as `definition()` assembles them, on the test pool."""
    settings = Settings.model_validate(
        {
            "NOTIFICATIONS_DATABASE_URL": dsn,
            "OIDC_ISSUER_URL": oidc_issuer_url(),
            **UNUSED_KAFKA_LOGIN,
        }
    )
    service = definition(settings)
    retry = RetryPolicy(retry_later_max_seconds=30, initial_backoff=0.05, max_backoff=0.2)
    return {spec.name: spec.build(db, retry) for spec in service.consumers}


# ---------------------------------------------------------------------------------------------
# The crash tests' processes: a module of this folder run as its own OS process on the test
# stack's Postgres and a test SMTP server, killed by a failpoint (`AIHUB_FAILPOINT`).

REPO = Path(__file__).resolve().parents[3]


def crash_test_process(
    module: str,
    dsn: str,
    smtp: FaultySmtp,
    log_file: Path,
    failpoint: str | None = None,
    settings: Mapping[str, str] | None = None,
) -> ManagedProcess:
    """`python -m services.notifications.tests.<module> <wakeup channel>`, started."""
    env = {
        "NOTIFICATIONS_DATABASE_URL": dsn,
        "OIDC_ISSUER_URL": oidc_issuer_url(),
        **UNUSED_KAFKA_LOGIN,
        "SMTP_HOST": smtp.host,
        "SMTP_PORT": str(smtp.port),
        "SMTP_TIMEOUT_SECONDS": "5",
        "MAIL_BATCH_SIZE": "3",
        "MAIL_POLL_INTERVAL_SECONDS": "0.2",
        "MAIL_RETRY_BASE_SECONDS": "0.5",
        "MAIL_RETRY_MAX_SECONDS": "1",
        **(settings or {}),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    if failpoint:
        env[FAILPOINT] = failpoint
    process = ManagedProcess(
        module.replace("_", "-"),
        [sys.executable, "-m", f"services.notifications.tests.{module}", WAKEUP_CHANNEL],
        env,
        log_file,
    )
    process.start()
    return process


async def killed(process: ManagedProcess) -> int | None:
    """The process's exit code once its failpoint has killed it (-9)."""

    async def gone() -> bool:
        return not process.is_running()

    await eventually(gone, within=60, what=f"{process.name} to hit its failpoint")
    return process.returncode
