"""Assembly of the programs service from the shared runtime kit."""

from __future__ import annotations

from aihub_programs.entrypoints.api import build_router
from aihub_programs.service_layer.enrollment import enroll_accepted_application
from aihub_programs.settings import Settings
from aihub_shared.contracts import topics
from aihub_shared.runtime.consumer import ConsumerSpec
from aihub_shared.runtime.service import ServiceDefinition

CONSUMERS = [
    ConsumerSpec(
        "programs.lifecycle",
        [topics.APPLICATIONS_LIFECYCLE],
        {"application.accepted": enroll_accepted_application},
    )
]


def definition(settings: Settings | None = None) -> ServiceDefinition:
    settings = settings or Settings()
    return ServiceDefinition(
        package="aihub_programs",
        title="Seoul AI Hub — programs",
        settings=settings,
        consumers=CONSUMERS,
        routers=[build_router(settings)],
    )
