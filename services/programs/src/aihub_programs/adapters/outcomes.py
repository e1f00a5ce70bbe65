"""SQL for the startups' KPI reports and the hub's totals."""

from __future__ import annotations

from typing import Any

from aihub_programs.domain.outcomes import NEVER_HELD, SeatHistory, StoredReport
from aihub_shared.contracts.programs import StartupKpiReported
from aihub_shared.privacy import HASHED_BRN_PREFIX, hashed_brn
from aihub_shared.runtime.db import DbConnection

_SELECT = (
    "SELECT source, report_id, business_registration_number, cohort_code, quarter, revenue_krw,"
    " investment_raised_krw, headcount FROM kpi_reports"
)


def _stored(row: Any) -> StoredReport | None:
    if row is None:
        return None
    values = {k: v for k, v in dict(row).items() if k != "source"}
    if values["business_registration_number"].startswith(HASHED_BRN_PREFIX):
        # An erased startup's number is stored hashed; the rest was validated when it came in.
        figures = StartupKpiReported.model_construct(**values)
    else:
        figures = StartupKpiReported.model_validate(values)
    return StoredReport(row["source"], row["report_id"], figures)


async def stored_number(conn: DbConnection, business_registration_number: str) -> str:
    """The form a startup's number is kept in here: its hash once the startup was erased, so
    its later reports still meet its seat and count as the same company."""
    hashed = hashed_brn(business_registration_number)
    erased = await conn.fetchval(
        "SELECT true FROM enrollments WHERE business_registration_number = $1 LIMIT 1", hashed
    )
    return hashed if erased else business_registration_number


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


async def seat_history(
    conn: DbConnection, business_registration_number: str, cohort_code: str
) -> SeatHistory:
    """Whether the startup ever held a seat in the cohort, and when it left (None while any of
    its enrollments there holds one)."""
    row = await conn.fetchrow(
        "SELECT bool_or(status = 'confirmed') AS holding, max(seat_released_at) AS left_at"
        " FROM enrollments WHERE business_registration_number = $1 AND cohort_code = $2"
        " AND held_seat",
        business_registration_number,
        cohort_code,
    )
    if row is None or row["holding"] is None:
        return NEVER_HELD
    return SeatHistory(held=True, left_at=None if row["holding"] else row["left_at"])


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
    """Companies supported (distinct startups that ever held a seat, those that left since
    included: the hub's cumulative figure), cumulative revenue and investment
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
              WHERE held_seat AND business_registration_number IS NOT NULL
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


async def by_quarter(conn: DbConnection, cohort_code: str | None) -> list[dict[str, Any]]:
    """Each reported quarter's figures (revenue and investment of that quarter, the headcount
    then), oldest first, for one cohort or the whole hub."""
    rows = await conn.fetch(
        "SELECT quarter, count(DISTINCT business_registration_number) AS companies_reporting,"
        " sum(revenue_krw) AS revenue_krw, sum(investment_raised_krw) AS investment_krw,"
        " sum(headcount) AS headcount FROM kpi_reports"
        " WHERE $1::text IS NULL OR cohort_code = $1 GROUP BY quarter ORDER BY quarter",
        cohort_code,
    )
    return [{k: v if k == "quarter" else int(v) for k, v in dict(r).items()} for r in rows]


async def by_program(conn: DbConnection, cohort_code: str | None) -> list[dict[str, Any]]:
    """The headline figures per program (the same rules as `totals`), for the programs with a
    startup supported or reporting, by program code."""
    rows = await conn.fetch(
        """
        WITH reports AS (
            SELECT r.*, c.program_code FROM kpi_reports r JOIN cohorts c ON c.code = r.cohort_code
            WHERE $1::text IS NULL OR r.cohort_code = $1
        ), supported AS (
            SELECT c.program_code, count(DISTINCT e.business_registration_number) AS companies
            FROM enrollments e JOIN cohorts c ON c.code = e.cohort_code
            WHERE e.held_seat AND e.business_registration_number IS NOT NULL
              AND ($1::text IS NULL OR e.cohort_code = $1)
            GROUP BY c.program_code
        ), sums AS (
            SELECT program_code, sum(revenue_krw) AS revenue,
                   sum(investment_raised_krw) AS investment
            FROM reports GROUP BY program_code
        ), latest AS (
            SELECT DISTINCT ON (program_code, business_registration_number)
                   program_code, headcount
            FROM reports ORDER BY program_code, business_registration_number, quarter DESC
        ), heads AS (
            SELECT program_code, sum(headcount) AS headcount FROM latest GROUP BY program_code
        )
        SELECT p.code AS program_code, p.name_ko AS program_name_ko,
               p.name_en AS program_name_en,
               coalesce(s.companies, 0) AS companies_supported,
               coalesce(m.revenue, 0) AS cumulative_revenue_krw,
               coalesce(m.investment, 0) AS cumulative_investment_krw,
               coalesce(h.headcount, 0) AS latest_headcount
        FROM programs p
        LEFT JOIN supported s ON s.program_code = p.code
        LEFT JOIN sums m ON m.program_code = p.code
        LEFT JOIN heads h ON h.program_code = p.code
        WHERE s.program_code IS NOT NULL OR m.program_code IS NOT NULL
        ORDER BY p.code
        """,
        cohort_code,
    )
    text = {"program_code", "program_name_ko", "program_name_en"}
    return [{k: v if k in text else int(v) for k, v in dict(r).items()} for r in rows]
