"""SQL for the startups' KPI reports and the hub's totals."""

from __future__ import annotations

from typing import Any

from aihub_programs.domain.outcomes import StoredReport
from aihub_shared.contracts.programs import StartupKpiReported
from aihub_shared.runtime.db import DbConnection

_SELECT = (
    "SELECT source, report_id, business_registration_number, cohort_code, quarter, revenue_krw,"
    " investment_raised_krw, headcount FROM kpi_reports"
)


def _stored(row: Any) -> StoredReport | None:
    if row is None:
        return None
    figures = StartupKpiReported.model_validate(
        {k: v for k, v in dict(row).items() if k != "source"}
    )
    return StoredReport(row["source"], row["report_id"], figures)


async def lock_startup(conn: DbConnection, business_registration_number: str) -> None:
    """Serialize reports of one startup, so two instances never both take the same quarter."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('kpi:' || $1::text))", business_registration_number
    )


async def report_by_id(conn: DbConnection, source: str, report_id: str) -> StoredReport | None:
    row = await conn.fetchrow(
        _SELECT + " WHERE source = $1 AND report_id = $2",
        source,
        report_id,
    )
    return _stored(row)


async def report_for_quarter(
    conn: DbConnection, business_registration_number: str, quarter: str
) -> StoredReport | None:
    row = await conn.fetchrow(
        _SELECT + " WHERE business_registration_number = $1 AND quarter = $2",
        business_registration_number,
        quarter,
    )
    return _stored(row)


async def holds_seat(
    conn: DbConnection, business_registration_number: str, cohort_code: str
) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT true FROM enrollments WHERE business_registration_number = $1"
            " AND cohort_code = $2 AND status = 'confirmed'",
            business_registration_number,
            cohort_code,
        )
    )


async def insert_report(conn: DbConnection, source: str, report: StartupKpiReported) -> None:
    await conn.execute(
        "INSERT INTO kpi_reports (source, report_id, business_registration_number, cohort_code,"
        " quarter, revenue_krw, investment_raised_krw, headcount)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        source,
        report.report_id,
        report.business_registration_number,
        report.cohort_code,
        report.quarter,
        report.revenue_krw,
        report.investment_raised_krw,
        report.headcount,
    )


async def totals(conn: DbConnection, cohort_code: str | None) -> dict[str, Any]:
    """Companies supported (distinct startups holding a seat), cumulative revenue and investment
    (every quarter reported), and headcount (each startup's latest quarter), for one cohort or,
    with None, the whole hub."""
    row = await conn.fetchrow(
        """
        WITH reports AS (
            SELECT * FROM kpi_reports WHERE $1::text IS NULL OR cohort_code = $1
        ), latest AS (
            SELECT DISTINCT ON (business_registration_number) headcount FROM reports
            ORDER BY business_registration_number, quarter DESC
        )
        SELECT
            (SELECT count(DISTINCT business_registration_number) FROM enrollments
              WHERE status = 'confirmed' AND business_registration_number IS NOT NULL
                AND ($1::text IS NULL OR cohort_code = $1)) AS companies_supported,
            (SELECT count(DISTINCT business_registration_number) FROM reports)
                AS companies_reporting,
            (SELECT count(*) FROM reports) AS reports,
            (SELECT coalesce(sum(revenue_krw), 0) FROM reports) AS cumulative_revenue_krw,
            (SELECT coalesce(sum(investment_raised_krw), 0) FROM reports)
                AS cumulative_investment_krw,
            (SELECT coalesce(sum(headcount), 0) FROM latest) AS latest_headcount
        """,
        cohort_code,
    )
    assert row is not None
    result = {k: int(v) for k, v in dict(row).items()}
    return {"cohort_code": cohort_code, **result} if cohort_code else result
