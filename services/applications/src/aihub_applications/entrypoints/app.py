"""Assembly of the applications service from the shared runtime kit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from aihub_applications.entrypoints.api import build_router
from aihub_applications.entrypoints.appeals_api import build_appeals_router
from aihub_applications.entrypoints.intake_api import build_intake_router
from aihub_applications.entrypoints.overview_api import build_overview_router
from aihub_applications.entrypoints.privacy_api import build_privacy_router
from aihub_applications.entrypoints.review_api import build_review_router
from aihub_applications.entrypoints.reviewer_api import build_reviewer_router
from aihub_applications.entrypoints.rule_reads_api import build_rule_reads_router
from aihub_applications.entrypoints.selection_api import build_selection_router
from aihub_applications.entrypoints.selection_rules_api import build_selection_rules_router
from aihub_applications.service_layer.erasure import collect_confirmation, receive_request
from aihub_applications.service_layer.events import EVENTS
from aihub_applications.service_layer.intake import receive_submissions
from aihub_applications.service_layer.replicas import (
    STATUS_BY_ENROLLMENT_EVENT,
    follow_enrollments,
    replicate_cohort,
)
from aihub_applications.service_layer.retention import RetentionWorker
from aihub_applications.service_layer.selection_requests import receive_appeal, receive_challenge
from aihub_applications.settings import Settings
from aihub_shared.contracts import topics
from aihub_shared.runtime.consumer import ConsumerSpec
from aihub_shared.runtime.refused_receipts import RefusedReceipts
from aihub_shared.runtime.service import BackgroundWorker, ServiceDefinition, ServiceRuntime

# One group per upstream topic: a slow or blocked intake never delays the replicas.
CONSUMERS = [
    ConsumerSpec(
        "applications.intake",
        [topics.INTAKE_APPLICATIONS],
        {},
        batch_handlers={"application.submitted": receive_submissions},
        # A submission that breaks the contract still hears back, field by field.
        refuse=RefusedReceipts(
            EVENTS, "intake.receipt", "submission_id", locale_at=("contact", "locale")
        ),
    ),
    # Appeals and challenges from publishing systems: a group of their own, so they never wait
    # behind a burst of submissions.
    ConsumerSpec(
        "applications.selection-requests",
        [topics.INTAKE_SELECTION_REQUESTS],
        {"appeal.requested": receive_appeal, "challenge.requested": receive_challenge},
        refuse=RefusedReceipts(EVENTS, "selection_request.receipt", "request_id"),
    ),
    ConsumerSpec(
        "applications.catalog",
        [topics.PROGRAMS_CATALOG],
        {"cohort.published": replicate_cohort},
    ),
    ConsumerSpec(
        "applications.enrollments",
        [topics.PROGRAMS_ENROLLMENTS],
        {},
        batch_handlers={name: follow_enrollments(name) for name in STATUS_BY_ENROLLMENT_EVENT},
    ),
    ConsumerSpec(
        "applications.erasure-requests",
        [topics.INTAKE_ERASURE_REQUESTS],
        {"person.erasure_requested": receive_request},
    ),
    ConsumerSpec(
        "applications.erasures",
        [topics.PRIVACY_ERASURES],
        {"person.erased": collect_confirmation},
    ),
]


def definition(settings: Settings | None = None) -> ServiceDefinition:
    settings = settings or Settings()

    def workers(runtime: ServiceRuntime) -> Sequence[BackgroundWorker]:
        return [
            RetentionWorker(
                runtime.pool,
                interval=settings.retention_check_interval_seconds,
                clock=lambda: datetime.now(UTC),
            )
        ]

    return ServiceDefinition(
        package="aihub_applications",
        title="Seoul AI Hub — applications",
        settings=settings,
        consumers=CONSUMERS,
        routers=[
            build_router(settings),
            build_review_router(settings),
            build_reviewer_router(settings),
            build_selection_router(settings),
            build_selection_rules_router(settings),
            build_rule_reads_router(settings),
            build_appeals_router(settings),
            build_overview_router(settings),
            build_intake_router(settings),
            build_privacy_router(settings),
        ],
        workers=workers,
    )
