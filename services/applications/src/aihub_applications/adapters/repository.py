"""SQL for the applications schema."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from aihub_applications.domain.eligibility import CohortRules
from aihub_applications.domain.review import CohortReview
from aihub_applications.domain.status import SELECTED, Status
from aihub_shared.contracts.intake import ApplicationSubmitted, Refusal
from aihub_shared.contracts.programs import (
    CohortPublished,
    CohortQuestion,
    ReviewStage,
    default_review_stages,
)
from aihub_shared.runtime.db import DbConnection


async def replicate_cohort(
    conn: DbConnection, cohort: CohortPublished, event_time: datetime
) -> None:
    # An older event (a replay, a compaction leftover) never overwrites a newer state.
    await conn.execute(
        "INSERT INTO cohorts (cohort_code, program_code, program_name_ko, program_name_en, seats,"
        " application_opens_at, application_closes_at, max_startup_age_years, event_time,"
        " questions, review_stages, agreement_due_days)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (cohort_code) DO UPDATE SET program_code = $2, program_name_ko = $3,"
        " program_name_en = $4, seats = $5, application_opens_at = $6,"
        " application_closes_at = $7, max_startup_age_years = $8, event_time = $9,"
        " questions = $10, review_stages = $11, agreement_due_days = $12,"
        " replicated_at = now()"
        " WHERE cohorts.event_time <= EXCLUDED.event_time",
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
    )


async def cohort_rules(conn: DbConnection, cohort_code: str) -> CohortRules | None:
    row = await conn.fetchrow(
        "SELECT cohort_code, program_code, application_opens_at, application_closes_at,"
        " max_startup_age_years, questions FROM cohorts WHERE cohort_code = $1",
        cohort_code,
    )
    if row is None:
        return None
    values = dict(row)
    values["questions"] = tuple(CohortQuestion.model_validate(q) for q in row["questions"])
    return CohortRules(**values)


async def cohort_review(conn: DbConnection, cohort_code: str) -> CohortReview | None:
    row = await conn.fetchrow(
        "SELECT cohort_code, program_code, seats, review_stages FROM cohorts"
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
    )


async def list_cohorts(conn: DbConnection) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM cohorts ORDER BY application_closes_at, cohort_code")
    return [dict(r) for r in rows]


async def find_by_submission(
    conn: DbConnection, submitted_by: str, submission_id: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, content_hash, status, refusals FROM applications"
        " WHERE submitted_by = $1 AND submission_id = $2",
        submitted_by,
        submission_id,
    )


async def lock_submission(conn: DbConnection, submitted_by: str, submission_id: str) -> None:
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext($1))", f"submission:{submitted_by}:{submission_id}"
    )


async def lock_brn_in_cohort(conn: DbConnection, cohort_code: str, brn: str) -> None:
    """Serialize submissions of one business in one cohort, so the duplicate check is exact."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"brn:{cohort_code}:{brn}")


async def active_application_for_brn(conn: DbConnection, cohort_code: str, brn: str) -> str | None:
    value = await conn.fetchval(
        "SELECT id::text FROM applications WHERE cohort_code = $1"
        " AND business_registration_number = $2 AND status <> 'ineligible'",
        cohort_code,
        brn,
    )
    return str(value) if value is not None else None


async def insert_application(
    conn: DbConnection,
    *,
    submitted_by: str,
    submission: ApplicationSubmitted,
    content_hash: str,
    status: Status,
    refusals: list[Refusal],
    actor: str,
    stage_code: str | None,
) -> uuid.UUID:
    application_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO applications (id, submitted_by, submission_id, content_hash, program_code,"
        " cohort_code, startup_name, business_registration_number, submission, status, refusals,"
        " stage_code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        application_id,
        submitted_by,
        submission.submission_id,
        content_hash,
        submission.program_code,
        submission.cohort_code,
        submission.startup.name,
        submission.startup.business_registration_number,
        submission.model_dump(mode="json"),
        status.value,
        [r.model_dump() for r in refusals],
        stage_code,
    )
    reason = "; ".join(r.code for r in refusals) or "submission received"
    await add_history(conn, application_id, None, status, actor, reason, stage_code=stage_code)
    return application_id


async def add_history(
    conn: DbConnection,
    application_id: uuid.UUID,
    from_status: Status | None,
    to_status: Status,
    actor: str,
    reason: str,
    *,
    action: str = "status",
    stage_code: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO application_history (application_id, from_status, to_status, actor, reason,"
        " action, stage_code) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        application_id,
        from_status.value if from_status else None,
        to_status.value,
        actor,
        reason,
        action,
        stage_code,
    )


async def add_note(
    conn: DbConnection,
    row: asyncpg.Record,
    actor: str,
    reason: str,
    *,
    action: str,
    stage_code: str,
) -> None:
    """A history entry for a change that leaves the status as it is (assignment, scores, ...)."""
    status = Status(row["status"])
    await add_history(
        conn, row["id"], status, status, actor, reason, action=action, stage_code=stage_code
    )


_APPLICATION_ROW = (
    "SELECT id, status, program_code, cohort_code, startup_name, business_registration_number,"
    " stage_code, stage_scores, rank, final_score, created_at, submission->'contact' AS contact"
    " FROM applications"
)


async def lock_application(conn: DbConnection, application_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"{_APPLICATION_ROW} WHERE id = $1 FOR UPDATE", application_id)


async def lock_cohort_applications(
    conn: DbConnection, cohort_code: str, status: Status
) -> list[asyncpg.Record]:
    """The cohort's applications in a status, locked, oldest first."""
    return list(
        await conn.fetch(
            f"{_APPLICATION_ROW} WHERE cohort_code = $1 AND status = $2"
            " ORDER BY created_at, id FOR UPDATE",
            cohort_code,
            status.value,
        )
    )


async def lock_cohort(conn: DbConnection, cohort_code: str) -> None:
    """Serialize cohort-wide operations (assigning, advancing, selecting, ranks) of one cohort.

    Always taken before any application row lock of the cohort, so that the two kinds of lock
    are always taken in one order and cannot deadlock."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"cohort:{cohort_code}")


async def lock_cohorts_of(conn: DbConnection, application_ids: list[uuid.UUID]) -> None:
    """The cohort locks of these applications, in a fixed order, before their row locks."""
    codes = await conn.fetch(
        "SELECT DISTINCT cohort_code FROM applications WHERE id = ANY($1) ORDER BY cohort_code",
        application_ids,
    )
    for row in codes:
        await lock_cohort(conn, row["cohort_code"])


async def set_status(
    conn: DbConnection,
    application_id: uuid.UUID,
    status: Status,
    *,
    rank: int | None = None,
    final_score: float | None = None,
) -> None:
    await conn.execute(
        "UPDATE applications SET status = $2, rank = COALESCE($3, rank),"
        " final_score = COALESCE($4, final_score), updated_at = now() WHERE id = $1",
        application_id,
        status.value,
        rank,
        final_score,
    )


async def rank_holder(conn: DbConnection, cohort_code: str, rank: int) -> str | None:
    value = await conn.fetchval(
        "SELECT id::text FROM applications WHERE cohort_code = $1 AND rank = $2",
        cohort_code,
        rank,
    )
    return str(value) if value is not None else None


async def set_stage(
    conn: DbConnection, application_id: uuid.UUID, stage_code: str, stage_scores: dict[str, float]
) -> None:
    await conn.execute(
        "UPDATE applications SET stage_code = $2, stage_scores = $3, updated_at = now()"
        " WHERE id = $1",
        application_id,
        stage_code,
        stage_scores,
    )


async def application_detail(
    conn: DbConnection, application_id: uuid.UUID
) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT id, submitted_by, submission_id, program_code, cohort_code, startup_name,"
        " business_registration_number, status, stage_code, stage_scores, rank, final_score,"
        " refusals, submission, created_at, updated_at FROM applications WHERE id = $1",
        application_id,
    )
    if row is None:
        return None
    history = await conn.fetch(
        "SELECT action, stage_code, from_status, to_status, actor, reason, at"
        " FROM application_history WHERE application_id = $1 ORDER BY id",
        application_id,
    )
    return {**dict(row), "history": [dict(h) for h in history]}


async def list_applications(
    conn: DbConnection,
    *,
    cohort_code: str | None,
    program_code: str | None,
    status: str | None,
    stage_code: str | None,
    programs: list[str] | None,
    reviewer_id: str | None,
    name_contains: str | None = None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page and the total count. `programs` limits to those programs (a manager's own);
    `reviewer_id` to the applications that reviewer is assigned; `name_contains` searches the
    startup name (case-insensitive, literally)."""
    where = (
        " WHERE ($1::text IS NULL OR cohort_code = $1) AND ($2::text IS NULL OR program_code = $2)"
        " AND ($3::text IS NULL OR status = $3) AND ($4::text IS NULL OR stage_code = $4)"
        " AND ($5::text[] IS NULL OR program_code = ANY($5))"
        " AND ($6::text IS NULL OR id IN (SELECT application_id FROM review_assignments"
        " WHERE reviewer_id = $6 AND conflict_reason IS NULL))"
        " AND ($7::text IS NULL OR strpos(lower(startup_name), lower($7)) > 0)"
    )
    args = (cohort_code, program_code, status, stage_code, programs, reviewer_id, name_contains)
    columns = (
        "id, submitted_by, submission_id, program_code, cohort_code, startup_name, status,"
        " stage_code, rank, final_score, created_at, updated_at"
    )
    rows = await conn.fetch(
        f"SELECT {columns} FROM applications{where} ORDER BY created_at, id LIMIT $8 OFFSET $9",  # noqa: S608
        *args,
        limit,
        offset,
    )
    total = await conn.fetchval(f"SELECT count(*) FROM applications{where}", *args)  # noqa: S608
    return [dict(r) for r in rows], int(total)


async def selected_in_cohort(conn: DbConnection, cohort_code: str) -> tuple[int, int]:
    """How many of the cohort's applications hold a selection, and the highest rank given."""
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE status = ANY($2)) AS taken,"
        " coalesce(max(rank), 0) AS highest FROM applications WHERE cohort_code = $1",
        cohort_code,
        [s.value for s in SELECTED],
    )
    assert row is not None  # an aggregate always answers one row
    return int(row["taken"]), int(row["highest"])


async def cohort_applications(conn: DbConnection, cohort_code: str) -> list[asyncpg.Record]:
    """The cohort's eligible applications, for its ranking."""
    return list(
        await conn.fetch(
            "SELECT id, startup_name, business_registration_number, status, stage_code,"
            " stage_scores, rank, final_score, created_at FROM applications"
            " WHERE cohort_code = $1 AND status <> 'ineligible' ORDER BY created_at, id",
            cohort_code,
        )
    )
