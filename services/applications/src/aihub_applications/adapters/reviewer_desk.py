"""SQL for what one reviewer works on: their assignments with the applications they belong to,
and the names the catalog replica gives programs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aihub_applications.domain.application import Application
from aihub_applications.domain.status import Status
from aihub_shared.runtime.db import DbConnection


@dataclass(frozen=True)
class ReviewerAssignment:
    """One of the reviewer's assignments, with the application as it stands."""

    application: Application
    stage_code: str
    assigned_at: datetime
    due_at: datetime | None
    scores: dict[str, int] | None
    comment: str | None
    scored_at: datetime | None
    conflict_reason: str | None


_APPLICATION_COLUMNS = (
    "id",
    "status",
    "program_code",
    "cohort_code",
    "startup_name",
    "business_registration_number",
    "stage_code",
    "stage_scores",
    "rank",
    "final_score",
    "created_at",
)


async def assignments_of(
    conn: DbConnection, reviewer_id: str, application_id: uuid.UUID | None = None
) -> list[ReviewerAssignment]:
    """The reviewer's assignments (those they recused from too), the soonest due first."""
    columns = ", ".join(f"a.{c}" for c in _APPLICATION_COLUMNS)
    rows = await conn.fetch(
        f"SELECT {columns}, r.stage_code AS assigned_stage, r.assigned_at, r.due_at, r.scores,"  # noqa: S608 - fixed column names
        " r.comment, r.scored_at, r.conflict_reason"
        " FROM review_assignments r JOIN applications a ON a.id = r.application_id"
        " WHERE r.reviewer_id = $1 AND ($2::uuid IS NULL OR r.application_id = $2)"
        " ORDER BY r.due_at NULLS LAST, r.assigned_at, a.id, r.stage_code",
        reviewer_id,
        application_id,
    )
    return [_assignment(row) for row in rows]


def _assignment(row: Any) -> ReviewerAssignment:
    application = Application(
        **{c: row[c] for c in _APPLICATION_COLUMNS if c != "status"},
        status=Status(row["status"]),
    )
    return ReviewerAssignment(
        application=application,
        stage_code=row["assigned_stage"],
        assigned_at=row["assigned_at"],
        due_at=row["due_at"],
        scores=row["scores"],
        comment=row["comment"],
        scored_at=row["scored_at"],
        conflict_reason=row["conflict_reason"],
    )


async def program_names(conn: DbConnection, cohort_codes: list[str]) -> dict[str, tuple[str, str]]:
    """Cohort code → its program's name in Korean and English."""
    rows = await conn.fetch(
        "SELECT cohort_code, program_name_ko, program_name_en FROM cohorts"
        " WHERE cohort_code = ANY($1)",
        cohort_codes,
    )
    return {r["cohort_code"]: (r["program_name_ko"], r["program_name_en"]) for r in rows}


async def submission_of(conn: DbConnection, application_id: uuid.UUID) -> dict[str, Any]:
    """The `application.submitted` data as sent."""
    submission: dict[str, Any] = await conn.fetchval(
        "SELECT submission FROM applications WHERE id = $1", application_id
    )
    return submission


async def submissions_of(
    conn: DbConnection, application_ids: list[uuid.UUID]
) -> dict[str, dict[str, Any]]:
    """Application id → the `application.submitted` data as sent, in one query."""
    rows = await conn.fetch(
        "SELECT id::text AS id, submission FROM applications WHERE id = ANY($1::uuid[])",
        application_ids,
    )
    return {r["id"]: r["submission"] for r in rows}
