"""SQL for taking in submissions: finding one already stored, the locks that make intake exact,
storing a new application with its first history entry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from aihub_applications.adapters.history import add_history
from aihub_applications.domain.status import Status
from aihub_shared.contracts.intake import ApplicationSubmitted, Refusal
from aihub_shared.privacy import hashed_brn
from aihub_shared.runtime.db import DbConnection


@dataclass(frozen=True)
class StoredSubmission:
    """What answering a submission sent again needs of the application it created."""

    application_id: uuid.UUID
    content_hash: str
    refusals: list[dict[str, Any]]


async def find_by_submission(
    conn: DbConnection, submitted_by: str, submission_id: str
) -> StoredSubmission | None:
    row = await conn.fetchrow(
        "SELECT id, content_hash, refusals FROM applications"
        " WHERE submitted_by = $1 AND submission_id = $2",
        submitted_by,
        submission_id,
    )
    if row is None:
        return None
    return StoredSubmission(row["id"], row["content_hash"], row["refusals"])


async def lock_submission(conn: DbConnection, submitted_by: str, submission_id: str) -> None:
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext($1))", f"submission:{submitted_by}:{submission_id}"
    )


async def lock_brn_in_cohort(conn: DbConnection, cohort_code: str, brn: str) -> None:
    """Serialize submissions of one business in one cohort, so the duplicate check is exact."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"brn:{cohort_code}:{brn}")


async def active_application_for_brn(conn: DbConnection, cohort_code: str, brn: str) -> str | None:
    # An erased application keeps its number hashed: the duplicate is still found.
    value = await conn.fetchval(
        "SELECT id::text FROM applications WHERE cohort_code = $1"
        " AND business_registration_number IN ($2, $3) AND status <> 'ineligible'",
        cohort_code,
        brn,
        hashed_brn(brn),
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
        " stage_code, consent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
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
        submission.consent.model_dump(mode="json") if submission.consent else None,
    )
    reason = "; ".join(r.code for r in refusals) or "submission received"
    await add_history(conn, application_id, None, status, actor, reason, stage_code=stage_code)
    return application_id
