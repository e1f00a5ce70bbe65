"""SQL for taking in submissions: finding one already stored, the locks that make intake exact,
storing a new application with its first history entry."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aihub_applications.adapters.history import add_first_history
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


@dataclass(frozen=True)
class NewApplication:
    """An application to store, with what its first history entry says."""

    id: uuid.UUID
    submitted_by: str
    submission: ApplicationSubmitted
    content_hash: str
    status: Status
    refusals: list[Refusal]
    actor: str
    stage_code: str | None


SubmissionKey = tuple[str, str]  # (submitted_by, submission_id)
BrnKey = tuple[str, str]  # (cohort_code, business registration number)


async def find_by_submissions(
    conn: DbConnection, keys: Sequence[SubmissionKey]
) -> dict[SubmissionKey, StoredSubmission]:
    rows = await conn.fetch(
        "SELECT a.submitted_by, a.submission_id, a.id, a.content_hash, a.refusals"
        " FROM unnest($1::text[], $2::text[]) AS k (submitted_by, submission_id)"
        " JOIN applications a USING (submitted_by, submission_id)",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    return {
        (r["submitted_by"], r["submission_id"]): StoredSubmission(
            r["id"], r["content_hash"], r["refusals"]
        )
        for r in rows
    }


async def _lock_all(conn: DbConnection, names: Iterable[str]) -> None:
    # In one order (of the lock numbers) for every transaction, so two batches cannot deadlock.
    await conn.execute(
        "SELECT pg_advisory_xact_lock(lock) FROM"
        " (SELECT DISTINCT hashtext(name) AS lock FROM unnest($1::text[]) AS name ORDER BY 1) l",
        sorted(set(names)),
    )


async def lock_submissions(conn: DbConnection, keys: Iterable[SubmissionKey]) -> None:
    """Serialize the doors (Kafka, HTTP) taking in the same submission; call before
    `lock_brns_in_cohorts`, as every intake transaction does, so the two cannot deadlock."""
    await _lock_all(conn, (f"submission:{by}:{submission_id}" for by, submission_id in keys))


async def lock_brns_in_cohorts(conn: DbConnection, keys: Iterable[BrnKey]) -> None:
    """Serialize submissions of one business in one cohort, so the duplicate check is exact."""
    await _lock_all(conn, (f"brn:{cohort_code}:{brn}" for cohort_code, brn in keys))


async def active_applications_for_brns(
    conn: DbConnection, keys: Sequence[BrnKey]
) -> dict[BrnKey, str]:
    """The application not ineligible, if any, of each business in each cohort."""
    # An erased application keeps its number hashed: the duplicate is still found. Each
    # business is looked for under both numbers, each an equality the unique index answers.
    cohorts = [k[0] for k in keys]
    brns = [k[1] for k in keys]
    rows = await conn.fetch(
        "SELECT DISTINCT ON (k.cohort_code, k.brn) k.cohort_code, k.brn, a.id::text AS id"
        " FROM unnest($1::text[], $2::text[], $3::text[]) AS k (cohort_code, brn, stored_as)"
        " JOIN applications a ON a.cohort_code = k.cohort_code"
        " AND a.business_registration_number = k.stored_as AND a.status <> 'ineligible'"
        " ORDER BY k.cohort_code, k.brn, a.created_at, a.id",
        cohorts * 2,
        brns * 2,
        brns + [hashed_brn(brn) for brn in brns],
    )
    return {(r["cohort_code"], r["brn"]): r["id"] for r in rows}


async def insert_applications(conn: DbConnection, applications: Sequence[NewApplication]) -> None:
    """Store the applications and their first history entries (two statements for all)."""
    if not applications:
        return
    await conn.executemany(
        "INSERT INTO applications (id, submitted_by, submission_id, content_hash, program_code,"
        " cohort_code, startup_name, business_registration_number, submission, status, refusals,"
        " stage_code, consent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        [
            (
                a.id,
                a.submitted_by,
                a.submission.submission_id,
                a.content_hash,
                a.submission.program_code,
                a.submission.cohort_code,
                a.submission.startup.name,
                a.submission.startup.business_registration_number,
                a.submission.model_dump(mode="json"),
                a.status.value,
                [r.model_dump() for r in a.refusals],
                a.stage_code,
                a.submission.consent.model_dump(mode="json") if a.submission.consent else None,
            )
            for a in applications
        ],
    )
    await add_first_history(
        conn, [(a.id, a.status, a.actor, _first_reason(a), a.stage_code) for a in applications]
    )


def _first_reason(application: NewApplication) -> str:
    return "; ".join(r.code for r in application.refusals) or "submission received"
