"""Assembly of the programs service from the shared runtime kit."""

from __future__ import annotations

from collections.abc import Sequence

from aihub_programs.entrypoints.api import build_router
from aihub_programs.service_layer.deadlines import AgreementDeadlines
from aihub_programs.service_layer.enrollment import (
    enroll_accepted_applications,
    release_withdrawn_application,
)
from aihub_programs.service_layer.erasure import erase_person
from aihub_programs.service_layer.events import EVENTS
from aihub_programs.service_layer.outcomes import receive_kpi_report
from aihub_programs.settings import Settings
from aihub_shared.contracts import topics
from aihub_shared.runtime.consumer import ConsumerSpec
from aihub_shared.runtime.refused_receipts import RefusedReceipts
from aihub_shared.runtime.service import BackgroundWorker, ServiceDefinition, ServiceRuntime

# One group per upstream topic: KPI reports never wait behind seat decisions, nor the reverse.
CONSUMERS = [
    ConsumerSpec(
        "programs.lifecycle",
        [topics.APPLICATIONS_LIFECYCLE],
        {"application.withdrawn": release_withdrawn_application},
        # A bulk decision's acceptances come as a run of one cohort: decided together.
        batch_handlers={"application.accepted": enroll_accepted_applications},
    ),
    ConsumerSpec(
        "programs.kpi-reports",
        [topics.INTAKE_KPI_REPORTS],
        {"startup.kpi_reported": receive_kpi_report},
        # A report that breaks the contract still hears back, field by field (no locale in it).
        refuse=RefusedReceipts(EVENTS, "kpi.receipt", "report_id"),
    ),
    ConsumerSpec("programs.erasures", [topics.PRIVACY_ERASURES], {"person.erased": erase_person}),
]


def definition(settings: Settings | None = None) -> ServiceDefinition:
    settings = settings or Settings()

    def workers(runtime: ServiceRuntime) -> Sequence[BackgroundWorker]:
        return [
            AgreementDeadlines(runtime.pool, interval=settings.agreement_check_interval_seconds)
        ]

    return ServiceDefinition(
        package="aihub_programs",
        title="Seoul AI Hub — programs",
        settings=settings,
        consumers=CONSUMERS,
        routers=[build_router(settings)],
        workers=workers,
    )
