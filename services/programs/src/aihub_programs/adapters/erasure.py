"""SQL for a person in this schema (erasure, access requests): their startup's enrollments and
KPI reports."""

from __future__ import annotations

from typing import Any

from aihub_shared.privacy import ERASED, HASHED_BRN_PREFIX, hashed_brn
from aihub_shared.runtime.db import DbConnection


async def erase_enrollments(conn: DbConnection, application_ids: list[str]) -> dict[str, int]:
    """The startup's name and free text go; its registration number is hashed in every row
    that carries it (enrollments and KPI reports alike), so the hub still counts one company
    once and its figures stay in the totals."""
    rows = await conn.fetch(
        "SELECT DISTINCT business_registration_number AS number FROM enrollments"
        " WHERE application_id = ANY($1) AND business_registration_number IS NOT NULL"
        " AND business_registration_number NOT LIKE $2::text || '%'",
        application_ids,
        HASHED_BRN_PREFIX,
    )
    numbers = [row["number"] for row in rows]
    hashes = [hashed_brn(n) for n in numbers]
    renumbered = 0
    for table in ("enrollments", "kpi_reports"):
        status = await conn.execute(
            f"UPDATE {table} t SET business_registration_number = h.hashed"  # noqa: S608 - constant
            " FROM unnest($1::text[], $2::text[]) AS h(number, hashed)"
            " WHERE t.business_registration_number = h.number",
            numbers,
            hashes,
        )
        renumbered += _count(status)
    enrollments = await conn.execute(
        "UPDATE enrollments SET startup_name = $2::text,"
        " reason = CASE WHEN reason IS NULL THEN NULL ELSE $2::text END"
        " WHERE application_id = ANY($1)",
        application_ids,
        ERASED,
    )
    return {"enrollments": _count(enrollments), "numbers_hashed": renumbered}


def _count(status: str) -> int:
    return int(status.split()[-1])


async def rows_about(
    conn: DbConnection, application_ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """An access request: the person's enrollments and their startup's KPI reports."""
    enrollments = await conn.fetch(
        "SELECT * FROM enrollments WHERE application_id = ANY($1) ORDER BY created_at",
        application_ids,
    )
    numbers = sorted(
        {
            r["business_registration_number"]
            for r in enrollments
            if r["business_registration_number"]
        }
    )
    reports = await conn.fetch(
        "SELECT * FROM kpi_reports WHERE business_registration_number = ANY($1)"
        " ORDER BY quarter, received_at",
        numbers,
    )
    return {
        "enrollments": [dict(r) for r in enrollments],
        "kpi_reports": [dict(r) for r in reports],
    }
