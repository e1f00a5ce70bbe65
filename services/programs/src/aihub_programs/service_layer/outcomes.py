"""Taking in startups' KPI reports: every report gets a `kpi.receipt`, accepted or refused."""

from __future__ import annotations

from aihub_programs.adapters import outcomes as repository
from aihub_programs.domain.outcomes import judge
from aihub_programs.service_layer.publishing import new_event
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import KpiReceipt, StartupKpiReported
from aihub_shared.runtime import outbox
from aihub_shared.runtime.db import DbConnection


async def receive_kpi_report(
    conn: DbConnection, event: CloudEvent, report: StartupKpiReported
) -> None:
    await repository.lock_startup(conn, report.business_registration_number)
    verdict = judge(
        event.source,
        report,
        same_id=await repository.report_by_id(conn, event.source, report.report_id),
        same_quarter=await repository.report_for_quarter(
            conn, report.business_registration_number, report.quarter
        ),
        seat=await repository.seat_history(
            conn, report.business_registration_number, report.cohort_code
        ),
    )
    if verdict.store:
        await repository.insert_report(conn, event.source, report)
    receipt = KpiReceipt(
        report_id=report.report_id,
        submitted_by=event.source,
        outcome="accepted" if verdict.accepted else "refused",
        reasons=verdict.refusals,
    )
    await outbox.add_events(
        conn, [new_event("kpi.receipt", subject=report.report_id, data=receipt, caused_by=event)]
    )
