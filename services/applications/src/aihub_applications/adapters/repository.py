"""SQL for the applications themselves: loading them as `Application` records under their row
locks, the cohort lock, status, stage and rank, and the staff's lists."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from aihub_applications.domain.application import Application
from aihub_applications.domain.progress import StatusCount
from aihub_applications.domain.status import SELECTED, Status
from aihub_shared.runtime.db import DbConnection

_APPLICATION_ROW = (
    "SELECT id, status, program_code, cohort_code, startup_name, business_registration_number,"
    " stage_code, stage_scores, rank, final_score, created_at"
    " FROM applications"
)


def _application(row: asyncpg.Record) -> Application:
    return Application(**{**dict(row), "status": Status(row["status"])})


async def lock_application(
    conn: DbConnection, application_id: uuid.UUID, *, lock: bool = True
) -> Application | None:
    locking = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(f"{_APPLICATION_ROW} WHERE id = $1{locking}", application_id)
    return _application(row) if row is not None else None


async def lock_applications(
    conn: DbConnection, application_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Application]:
    """These applications (those that exist), each locked, in id order: the order every use case
    that locks several of them takes the row locks in, so that two cannot deadlock."""
    rows = await conn.fetch(
        f"{_APPLICATION_ROW} WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
        list(dict.fromkeys(application_ids)),
    )
    return {row["id"]: _application(row) for row in rows}


async def lock_cohort_applications(
    conn: DbConnection, cohort_code: str, status: Status
) -> list[Application]:
    """The cohort's applications in a status, locked, oldest first."""
    return await cohort_applications_in(conn, cohort_code, status, lock=True)


async def cohort_applications_in(
    conn: DbConnection, cohort_code: str, status: Status, *, lock: bool = False
) -> list[Application]:
    """The cohort's applications in a status, oldest first (locked if `lock`)."""
    rows = await conn.fetch(
        f"{_APPLICATION_ROW} WHERE cohort_code = $1 AND status = $2"
        f" ORDER BY created_at, id{' FOR UPDATE' if lock else ''}",
        cohort_code,
        status.value,
    )
    return [_application(r) for r in rows]


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


@dataclass(frozen=True)
class StatusChange:
    """One application's new status; a rank or final score of None leaves the stored one."""

    application_id: uuid.UUID
    status: Status
    rank: int | None = None
    final_score: float | None = None


async def set_statuses(conn: DbConnection, changes: Sequence[StatusChange]) -> None:
    """`set_status` for many applications in one statement (each at most once in `changes`).

    The unique rank index is checked row by row as the statement goes: an application taking a
    rank another one of `changes` gives up must find it given up already (`release_ranks`)."""
    if not changes:
        return
    await conn.execute(
        "UPDATE applications AS a SET status = c.status, rank = COALESCE(c.rank, a.rank),"
        " final_score = COALESCE(c.final_score, a.final_score), updated_at = now()"
        " FROM unnest($1::uuid[], $2::text[], $3::integer[], $4::double precision[])"
        " AS c(id, status, rank, final_score) WHERE a.id = c.id",
        [c.application_id for c in changes],
        [c.status.value for c in changes],
        [c.rank for c in changes],
        [c.final_score for c in changes],
    )


async def set_status(
    conn: DbConnection,
    application_id: uuid.UUID,
    status: Status,
    *,
    rank: int | None = None,
    final_score: float | None = None,
) -> None:
    await set_statuses(conn, [StatusChange(application_id, status, rank, final_score)])


async def release_ranks(conn: DbConnection, application_ids: Sequence[uuid.UUID]) -> None:
    """Clear these applications' ranks, ahead of a `set_statuses` that gives them new ones."""
    if application_ids:
        await conn.execute(
            "UPDATE applications SET rank = NULL WHERE id = ANY($1::uuid[])", application_ids
        )


async def rank_holders(
    conn: DbConnection, wanted: Sequence[tuple[str, int]]
) -> dict[tuple[str, int], str]:
    """Who holds each of these (cohort, rank) places now (the unique index allows one)."""
    if not wanted:
        return {}
    rows = await conn.fetch(
        "SELECT a.cohort_code, a.rank, a.id::text AS holder FROM applications AS a"
        " JOIN unnest($1::text[], $2::integer[]) AS w(cohort_code, rank)"
        " ON a.cohort_code = w.cohort_code AND a.rank = w.rank",
        [cohort for cohort, _ in wanted],
        [rank for _, rank in wanted],
    )
    return {(r["cohort_code"], r["rank"]): r["holder"] for r in rows}


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
    """The application as staff read it (its history and reviews are read apart)."""
    row = await conn.fetchrow(
        "SELECT id, submitted_by, submission_id, program_code, cohort_code, startup_name,"
        " business_registration_number, status, stage_code, stage_scores, rank, final_score,"
        " refusals, submission, consent, erased_at, created_at, updated_at"
        " FROM applications WHERE id = $1",
        application_id,
    )
    return dict(row) if row is not None else None


@dataclass(frozen=True)
class ListFilter:
    """What a staff list of applications is limited to (None: no limit of that kind)."""

    cohort_code: str | None = None
    program_code: str | None = None
    status: str | None = None
    stage_code: str | None = None
    #: With `stage_code`: applications with no stage yet (in the first stage) match it too.
    stage_includes_unstaged: bool = False
    #: A manager's own programs.
    programs: list[str] | None = None
    #: The applications this reviewer is assigned (and not recused from).
    reviewer_id: str | None = None
    #: Part of the startup name or of the contact's e-mail (case-insensitive, literally).
    text: str | None = None
    #: The first digits of the business registration number.
    brn_prefix: str | None = None


async def list_applications(
    conn: DbConnection, where: ListFilter, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """One page, oldest first, and the total count of matches."""
    clause = (
        " WHERE ($1::text IS NULL OR cohort_code = $1) AND ($2::text IS NULL OR program_code = $2)"
        " AND ($3::text IS NULL OR status = $3)"
        " AND ($4::text IS NULL OR stage_code = $4 OR ($5 AND stage_code IS NULL))"
        " AND ($6::text[] IS NULL OR program_code = ANY($6))"
        " AND ($7::text IS NULL OR id IN (SELECT application_id FROM review_assignments"
        " WHERE reviewer_id = $7 AND conflict_reason IS NULL))"
        " AND (($8::text IS NULL AND $9::text IS NULL)"
        " OR strpos(lower(startup_name), lower($8)) > 0"
        " OR strpos(lower(submission->'contact'->>'email'), lower($8)) > 0"
        " OR starts_with(business_registration_number, $9))"
    )
    args = (
        where.cohort_code,
        where.program_code,
        where.status,
        where.stage_code,
        where.stage_includes_unstaged,
        where.programs,
        where.reviewer_id,
        where.text,
        where.brn_prefix,
    )
    columns = (
        "id, submitted_by, submission_id, program_code, cohort_code, startup_name, status,"
        " stage_code, rank, final_score, created_at, updated_at"
    )
    rows = await conn.fetch(
        f"SELECT {columns} FROM applications{clause} ORDER BY created_at, id"  # noqa: S608
        " LIMIT $10 OFFSET $11",
        *args,
        limit,
        offset,
    )
    total = await conn.fetchval(f"SELECT count(*) FROM applications{clause}", *args)  # noqa: S608
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


async def cohort_applications(conn: DbConnection, cohort_code: str) -> list[Application]:
    """The cohort's eligible applications, oldest first, for its ranking."""
    rows = await conn.fetch(
        f"{_APPLICATION_ROW} WHERE cohort_code = $1 AND status <> 'ineligible'"
        " ORDER BY created_at, id",
        cohort_code,
    )
    return [_application(r) for r in rows]


async def status_counts(conn: DbConnection, cohort_code: str) -> list[StatusCount]:
    """How many of the cohort's applications are in each (status, stage) as stored."""
    rows = await conn.fetch(
        "SELECT status, stage_code, count(*) AS count FROM applications WHERE cohort_code = $1"
        " GROUP BY status, stage_code",
        cohort_code,
    )
    return [StatusCount(Status(r["status"]), r["stage_code"], r["count"]) for r in rows]
