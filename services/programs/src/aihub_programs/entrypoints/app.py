"""Assembly of the programs service from the shared runtime kit."""

from __future__ import annotations

from collections.abc import Sequence

from aihub_programs.entrypoints.api import build_router
from aihub_programs.service_layer.enrollment import enroll_accepted_application
from aihub_programs.settings import Settings
from aihub_shared.contracts import topics
from aihub_shared.runtime.consumer import EventConsumer
from aihub_shared.runtime.retry import RetryPolicy
from aihub_shared.runtime.service import ServiceDefinition, ServiceRuntime


def _consumers(runtime: ServiceRuntime, retry: RetryPolicy) -> Sequence[EventConsumer]:
    return [
        EventConsumer(
            name="programs.lifecycle",
            topics=[topics.APPLICATIONS_LIFECYCLE],
            handlers={"application.accepted": enroll_accepted_application},
            pool=runtime.pool,
            retry=retry,
        )
    ]


def definition(settings: Settings | None = None) -> ServiceDefinition:
    settings = settings or Settings()
    return ServiceDefinition(
        package="aihub_programs",
        title="Seoul AI Hub — programs",
        settings=settings,
        consumers=_consumers,
        routers=[build_router(settings)],
    )
