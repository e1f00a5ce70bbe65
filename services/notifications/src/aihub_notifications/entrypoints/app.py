"""Assembly of the notifications service from the shared runtime kit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import structlog

from aihub_notifications.adapters.keycloak_accounts import KeycloakAccounts, KeycloakAccountsConfig
from aihub_notifications.adapters.smtp import SmtpConfig
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.console_links import ConsoleLinks
from aihub_notifications.entrypoints.api import build_router
from aihub_notifications.service_layer.dead_letter_alerts import (
    CollectorConfig,
    DeadLetterAlerter,
    DeadLetterCollector,
)
from aihub_notifications.service_layer.digest import DigestScheduler
from aihub_notifications.service_layer.enrollments import (
    enrollment_batch_handlers,
    enrollment_handlers,
)
from aihub_notifications.service_layer.erasure import erase_person
from aihub_notifications.service_layer.invitations import InvitationConfig, InvitationSender
from aihub_notifications.service_layer.lifecycle import (
    lifecycle_batch_handlers,
    lifecycle_handlers,
)
from aihub_notifications.service_layer.reminders import ReminderScheduler
from aihub_notifications.service_layer.replicas import replicate_cohort
from aihub_notifications.service_layer.sender import SenderConfig, mail_senders
from aihub_notifications.settings import Settings
from aihub_shared.contracts import topics
from aihub_shared.runtime.consumer import ConsumerSpec
from aihub_shared.runtime.service import BackgroundWorker, ServiceDefinition, ServiceRuntime
from aihub_shared.runtime.wakeup import Wakeup

NAME = Settings.service_name
log = structlog.get_logger(__name__)


def smtp_config(settings: Settings) -> SmtpConfig:
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        starttls=settings.smtp_starttls,
        timeout_seconds=settings.smtp_timeout_seconds,
        ca_file=settings.smtp_ca_file,
    )


def sender_config(settings: Settings) -> SenderConfig:
    return SenderConfig(
        mail_from=settings.mail_from,
        batch_size=settings.mail_batch_size,
        retry_base_seconds=settings.mail_retry_base_seconds,
        retry_max_seconds=settings.mail_retry_max_seconds,
    )


def invitations_worker(runtime: ServiceRuntime, settings: Settings) -> InvitationSender | None:
    secret = settings.invitations_client_secret
    if secret is None or not secret.get_secret_value():
        log.warning("INVITATIONS_CLIENT_SECRET unset: reviewer invitations wait until it is set")
        return None
    base_url, realm = settings.keycloak_base_and_realm()
    accounts = KeycloakAccounts(
        KeycloakAccountsConfig(
            base_url=base_url,
            realm=realm,
            client_id=settings.invitations_client_id,
            client_secret=secret.get_secret_value(),
        )
    )
    config = InvitationConfig(
        retry_base_seconds=settings.invitations_retry_base_seconds,
        retry_max_seconds=settings.invitations_retry_max_seconds,
    )
    return InvitationSender(runtime.pool, accounts, config)


def definition(settings: Settings | None = None) -> ServiceDefinition:
    settings = settings or Settings()
    renderer = MailRenderer(links=ConsoleLinks(settings.console_base_url))

    # One consumer group per topic: an enrollment waiting (RetryLater) for a lagging replica
    # must not hold back the events that fill the replicas.
    consumers = [
        ConsumerSpec(
            f"{NAME}.catalog", [topics.PROGRAMS_CATALOG], {"cohort.published": replicate_cohort}
        ),
        ConsumerSpec(
            f"{NAME}.lifecycle",
            [topics.APPLICATIONS_LIFECYCLE],
            lifecycle_handlers(renderer),
            batch_handlers=lifecycle_batch_handlers(renderer),
        ),
        ConsumerSpec(
            f"{NAME}.enrollments",
            [topics.PROGRAMS_ENROLLMENTS],
            enrollment_handlers(renderer),
            batch_handlers=enrollment_batch_handlers(renderer),
        ),
        ConsumerSpec(
            f"{NAME}.erasures", [topics.PRIVACY_ERASURES], {"person.erased": erase_person}
        ),
    ]

    def workers(runtime: ServiceRuntime) -> Sequence[BackgroundWorker]:
        found: list[BackgroundWorker] = [
            *mail_senders(
                runtime.pool,
                lambda: Wakeup(
                    settings.database_dsn,
                    f"{NAME}_deliveries",
                    poll_interval=settings.mail_poll_interval_seconds,
                ),
                smtp_config(settings),
                sender_config(settings),
                connections=settings.smtp_connections,
            ),
            DeadLetterCollector(runtime.pool, CollectorConfig(kafka=settings.kafka)),
            DeadLetterAlerter(
                runtime.pool, renderer, window_seconds=settings.dead_letter_alert_window_seconds
            ),
        ]
        if settings.reminder_offsets():
            found.append(
                ReminderScheduler(
                    runtime.pool,
                    renderer,
                    offsets=settings.reminder_offsets(),
                    clock=lambda: datetime.now(UTC),
                    poll_seconds=settings.review_reminder_poll_seconds,
                )
            )
        invitation_sender = invitations_worker(runtime, settings)
        if invitation_sender is not None:
            found.append(invitation_sender)
        if settings.digest_enabled:
            found.append(
                DigestScheduler(
                    runtime.pool, renderer, at=settings.digest_time, clock=lambda: datetime.now(UTC)
                )
            )
        return found

    return ServiceDefinition(
        package="aihub_notifications",
        title="Seoul AI Hub — notifications",
        settings=settings,
        consumers=consumers,
        routers=[build_router(settings, renderer)],
        workers=workers,
    )
