"""SQL for the catalog: programs and their cohorts."""

from __future__ import annotations

from typing import Any

import asyncpg

from aihub_programs.domain.catalog import CohortSettings, ProgramSettings
from aihub_shared.runtime.db import DbConnection


async def upsert_program(
    conn: DbConnection, code: str, program: ProgramSettings, *, create_only: bool = False
) -> bool:
    """Insert or update; with `create_only`, a taken code changes nothing. True if written.
    (The conflict clause, not a prior existence check, decides: two racing creations of one
    code cannot both succeed.)"""
    written = await conn.fetchval(
        "INSERT INTO programs (code, name_ko, name_en, partner, description_ko, description_en,"
        " managers) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (code) DO UPDATE SET name_ko = $2, name_en = $3, partner = $4,"
        " description_ko = $5, description_en = $6, managers = $7, updated_at = now()"
        " WHERE NOT $8::boolean RETURNING true",
        code,
        program.name_ko,
        program.name_en,
        program.partner,
        program.description_ko,
        program.description_en,
        [m.model_dump(mode="json") for m in program.program_managers],
        create_only,
    )
    return bool(written)


async def upsert_cohort(
    conn: DbConnection,
    program_code: str,
    code: str,
    cohort: CohortSettings,
    *,
    create_only: bool = False,
) -> bool:
    """Insert or update; with `create_only`, a taken code changes nothing. True if written."""
    written = await conn.fetchval(
        "INSERT INTO cohorts (code, program_code, seats, application_opens_at,"
        " application_closes_at, starts_on, ends_on, max_startup_age_years, questions,"
        " review_stages, agreement_due_days, consent_text, retention, bonus_items, bonus_cap)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $13, $14, $15, $16)"
        " ON CONFLICT (code) DO UPDATE SET program_code = $2, seats = $3,"
        " application_opens_at = $4, application_closes_at = $5, starts_on = $6, ends_on = $7,"
        " max_startup_age_years = $8, questions = $9, review_stages = $10,"
        " agreement_due_days = $11, consent_text = $13, retention = $14, bonus_items = $15,"
        " bonus_cap = $16, updated_at = now()"
        " WHERE NOT $12::boolean RETURNING true",
        code,
        program_code,
        cohort.seats,
        cohort.application_opens_at,
        cohort.application_closes_at,
        cohort.starts_on,
        cohort.ends_on,
        cohort.max_startup_age_years,
        [q.model_dump(mode="json") for q in cohort.questions],
        [s.model_dump(mode="json") for s in cohort.review_stages],
        cohort.agreement_due_days,
        create_only,
        cohort.consent_text.model_dump() if cohort.consent_text else None,
        cohort.retention.model_dump(),
        [b.model_dump(mode="json") for b in cohort.bonus_items],
        cohort.bonus_cap,
    )
    return bool(written)


async def lock_cohorts(conn: DbConnection, codes: list[str]) -> None:
    """Row-lock existing cohorts, in code order: a change then reads its "before" state only
    after any other change of them has committed, so the `cohort.published` it queues last
    carries every committed change. (Program-wide changes lock the program row instead: the
    consumers never lock it, so that cannot deadlock with a batch holding several cohorts.)"""
    await conn.execute(
        "SELECT code FROM cohorts WHERE code = ANY($1::text[]) ORDER BY code FOR UPDATE", codes
    )


async def lock_program(conn: DbConnection, code: str, *, share: bool = False) -> bool:
    """Row-lock a program (False if there is none): exclusively to change it, shared to add a
    cohort to it. A cohort is then never created with the names of a program rename that is
    committing meanwhile, and a rename sees every cohort it must re-publish."""
    lock = "FOR SHARE" if share else "FOR UPDATE"
    found = await conn.fetchval(f"SELECT true FROM programs WHERE code = $1 {lock}", code)  # noqa: S608 - a constant
    return bool(found)


async def program_of_cohort(conn: DbConnection, cohort_code: str) -> str | None:
    code: str | None = await conn.fetchval(
        "SELECT program_code FROM cohorts WHERE code = $1", cohort_code
    )
    return code


async def cohort_codes(conn: DbConnection, program_code: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT code FROM cohorts WHERE program_code = $1 ORDER BY code", program_code
    )
    return [r["code"] for r in rows]


_COHORT_VIEW = (
    "SELECT c.code AS cohort_code, c.seats, c.application_opens_at, c.application_closes_at,"
    " c.starts_on, c.ends_on, c.max_startup_age_years, c.questions, c.review_stages,"
    " c.agreement_due_days, c.consent_text, c.retention, c.bonus_items, c.bonus_cap,"
    " p.code AS program_code,"
    " p.name_ko AS program_name_ko,"
    " p.name_en AS program_name_en, p.description_ko AS program_description_ko,"
    " p.description_en AS program_description_en, p.partner, p.managers AS program_managers"
    " FROM cohorts c JOIN programs p ON p.code = c.program_code"
)


def _view(row: Any) -> dict[str, Any]:
    view = dict(row)
    if view["review_stages"] is None:
        del view["review_stages"]  # the contract's default stages
    if view["consent_text"] is None:
        del view["consent_text"]
    return view


async def cohort_view(conn: DbConnection, cohort_code: str) -> dict[str, Any] | None:
    """The cohort with its program, in the shape of the `cohort.published` event."""
    row = await conn.fetchrow(_COHORT_VIEW + " WHERE c.code = $1", cohort_code)
    return _view(row) if row else None


async def list_programs(conn: DbConnection) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT code, name_ko, name_en, partner, description_ko, description_en,"
        " managers AS program_managers,"
        " coalesce((SELECT array_agg(c.code ORDER BY c.code) FROM cohorts c"
        "   WHERE c.program_code = p.code), '{}') AS cohorts"
        " FROM programs p ORDER BY code"
    )
    return [dict(r) for r in rows]


async def managed_programs(pool: asyncpg.Pool, email: str) -> frozenset[str]:
    """The programs that list `email` (lower case) among their program managers."""
    rows = await pool.fetch(
        "SELECT code FROM programs, jsonb_array_elements(managers) AS m"
        " WHERE lower(m->>'email') = $1",
        email,
    )
    return frozenset(str(row["code"]) for row in rows)
