"""SQL for the replica of the programs catalog: what eligibility and review read of a cohort."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from aihub_applications.domain.eligibility import CohortRules
from aihub_applications.domain.review import CohortReview
from aihub_shared.contracts.privacy import ConsentTextRef
from aihub_shared.contracts.programs import (
    BonusItem,
    CohortPublished,
    CohortQuestion,
    ReviewStage,
    default_review_stages,
)
from aihub_shared.runtime.db import DbConnection


async def replicate_cohort(
    conn: DbConnection, cohort: CohortPublished, event_time: datetime
) -> None:
    # An older event (a replay, a compaction leftover) never overwrites a newer state, except a
    # snapshot (`aihub-programs republish`), which is the programs service's current state.
    await conn.execute(
        "INSERT INTO cohorts (cohort_code, program_code, program_name_ko, program_name_en, seats,"
        " application_opens_at, application_closes_at, max_startup_age_years, event_time,"
        " questions, review_stages, agreement_due_days, program_managers, consent_text,"
        " ends_on, retention, bonus_items, bonus_cap)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $15, $16, $17,"
        " $18, $19)"
        " ON CONFLICT (cohort_code) DO UPDATE SET program_code = $2, program_name_ko = $3,"
        " program_name_en = $4, seats = $5, application_opens_at = $6,"
        " application_closes_at = $7, max_startup_age_years = $8, event_time = $9,"
        " questions = $10, review_stages = $11, agreement_due_days = $12,"
        " program_managers = $13, consent_text = $15, ends_on = $16, retention = $17,"
        " bonus_items = $18, bonus_cap = $19,"
        " replicated_at = now()"
        " WHERE cohorts.event_time <= EXCLUDED.event_time OR $14",
        cohort.cohort_code,
        cohort.program_code,
        cohort.program_name_ko,
        cohort.program_name_en,
        cohort.seats,
        cohort.application_opens_at,
        cohort.application_closes_at,
        cohort.max_startup_age_years,
        event_time,
        [q.model_dump(mode="json") for q in cohort.questions],
        [stage.model_dump(mode="json") for stage in cohort.review_stages],
        cohort.agreement_due_days,
        [m.model_dump(mode="json") for m in cohort.program_managers],
        cohort.snapshot,
        cohort.consent_text.model_dump() if cohort.consent_text else None,
        cohort.ends_on,
        cohort.retention.model_dump(),
        [b.model_dump(mode="json") for b in cohort.bonus_items],
        cohort.bonus_cap,
    )


async def cohort_rules(conn: DbConnection, cohort_code: str) -> CohortRules | None:
    row = await conn.fetchrow(
        "SELECT cohort_code, program_code, application_opens_at, application_closes_at,"
        " max_startup_age_years, questions, consent_text FROM cohorts WHERE cohort_code = $1",
        cohort_code,
    )
    if row is None:
        return None
    values = dict(row)
    values["questions"] = tuple(CohortQuestion.model_validate(q) for q in row["questions"])
    if row["consent_text"] is not None:
        values["consent_text"] = ConsentTextRef.model_validate(row["consent_text"])
    return CohortRules(**values)


async def cohort_review(conn: DbConnection, cohort_code: str) -> CohortReview | None:
    row = await conn.fetchrow(
        "SELECT cohort_code, program_code, seats, review_stages, bonus_items, bonus_cap"
        " FROM cohorts"
        " WHERE cohort_code = $1",
        cohort_code,
    )
    if row is None:
        return None
    stages = (
        [ReviewStage.model_validate(s) for s in row["review_stages"]]
        if row["review_stages"] is not None
        else default_review_stages()
    )
    return CohortReview(
        cohort_code=row["cohort_code"],
        program_code=row["program_code"],
        seats=row["seats"],
        stages=tuple(stages),
        bonus_items=tuple(BonusItem.model_validate(b) for b in row["bonus_items"]),
        bonus_cap=row["bonus_cap"],
    )


async def list_cohorts(conn: DbConnection) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM cohorts ORDER BY application_closes_at, cohort_code")
    return [dict(r) for r in rows]


async def managed_programs(pool: asyncpg.Pool, email: str) -> frozenset[str]:
    """The programs whose cohorts list `email` (lower case) among their program managers."""
    rows = await pool.fetch(
        "SELECT DISTINCT program_code FROM cohorts, jsonb_array_elements(program_managers) AS m"
        " WHERE lower(m->>'email') = $1",
        email,
    )
    return frozenset(str(row["program_code"]) for row in rows)
