"""Taking in startups' KPI reports (every report gets a `kpi.receipt`, accepted or refused) and
the figures the hub announces."""

from __future__ import annotations

from typing import Any

import asyncpg

from aihub_programs.adapters import outcomes as outcomes_db
from aihub_programs.domain.outcomes import judge
from aihub_programs.service_layer.catalog import require_cohort
from aihub_programs.service_layer.events import new_event
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import KpiReceipt, StartupKpiReported
from aihub_shared.runtime import outbox
from aihub_shared.runtime.db import DbConnection


async def receive_kpi_report(
    conn: DbConnection, event: CloudEvent, report: StartupKpiReported
) -> None:
    number = await outcomes_db.stored_number(conn, report.business_registration_number)
    report = report.model_copy(update={"business_registration_number": number})
    await outcomes_db.lock_startup(conn, report.business_registration_number)
    verdict = judge(
        event.source,
        report,
        same_id=await outcomes_db.report_by_id(conn, event.source, report.report_id),
        same_quarter=await outcomes_db.report_for_quarter(
            conn, report.business_registration_number, report.quarter
        ),
        seat=await outcomes_db.seat_history(
            conn, report.business_registration_number, report.cohort_code
        ),
    )
    if verdict.store:
        await outcomes_db.insert_report(conn, event.source, report)
    receipt = KpiReceipt(
        report_id=report.report_id,
        submitted_by=event.source,
        outcome="accepted" if verdict.accepted else "refused",
        reasons=verdict.refusals,
    )
    await outbox.add_events(
        conn, [new_event("kpi.receipt", subject=report.report_id, data=receipt, caused_by=event)]
    )


async def hub_outcomes(pool: asyncpg.Pool) -> dict[str, Any]:
    """The hub's headline figures, over every cohort."""
    async with pool.acquire() as conn:
        return await _figures(conn, None)


async def cohort_outcomes(pool: asyncpg.Pool, cohort_code: str) -> dict[str, Any]:
    """One cohort's figures; CatalogNotFound if there is no such cohort."""
    async with pool.acquire() as conn:
        await require_cohort(conn, cohort_code)
        return await _figures(conn, cohort_code)


async def _figures(conn: DbConnection, cohort_code: str | None) -> dict[str, Any]:
    """The totals, and the same figures by quarter and by program (the console's charts)."""
    return {
        **await outcomes_db.totals(conn, cohort_code),
        "by_quarter": await outcomes_db.by_quarter(conn, cohort_code),
        "by_program": await outcomes_db.by_program(conn, cohort_code),
    }
