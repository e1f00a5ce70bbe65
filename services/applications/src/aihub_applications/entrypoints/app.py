"""Assembly of the applications service from the shared runtime kit."""

from __future__ import annotations

from collections.abc import Sequence

from aihub_applications.entrypoints.api import build_router
from aihub_applications.service_layer.intake import receive_submission
from aihub_applications.service_layer.replicas import follow_enrollment, replicate_cohort
from aihub_applications.settings import Settings
from aihub_shared.contracts import topics
from aihub_shared.runtime.consumer import EventConsumer
from aihub_shared.runtime.retry import RetryPolicy
from aihub_shared.runtime.service import ServiceDefinition, ServiceRuntime


def _consumers(runtime: ServiceRuntime, retry: RetryPolicy) -> Sequence[EventConsumer]:
    # One group per upstream topic: a slow or blocked intake never delays the replicas.
    return [
        EventConsumer(
            name="applications.intake",
            topics=[topics.INTAKE_APPLICATIONS],
            handlers={"application.submitted": receive_submission},
            pool=runtime.pool,
            retry=retry,
        ),
        EventConsumer(
            name="applications.catalog",
            topics=[topics.PROGRAMS_CATALOG],
            handlers={"cohort.published": replicate_cohort},
            pool=runtime.pool,
            retry=retry,
        ),
        EventConsumer(
            name="applications.enrollments",
            topics=[topics.PROGRAMS_ENROLLMENTS],
            handlers={
                "enrollment.confirmed": follow_enrollment,
                "enrollment.waitlisted": follow_enrollment,
            },
            pool=runtime.pool,
            retry=retry,
        ),
    ]


def definition(settings: Settings | None = None) -> ServiceDefinition:
    settings = settings or Settings()
    return ServiceDefinition(
        package="aihub_applications",
        title="Seoul AI Hub — applications",
        settings=settings,
        consumers=_consumers,
        routers=[build_router(settings)],
    )
