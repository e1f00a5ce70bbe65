"""Keeping the catalog and telling the other services about every change.

Every change publishes `cohort.published` (the cohort's whole state, keyed by cohort code, on the
compacted `programs.catalog`) for each cohort it affects: a program change re-publishes all of
its cohorts, since each event carries the program's names and managers too. A change of seats
promotes waiting startups into added seats in the same transaction.

Staff use cases take the pool and run in one transaction of their own. Who may change a cohort
(`access.require_manager`) and who sees its enrollments (`access.sees_enrollments`) is decided
here, by the use case; programs themselves are changed by admins only, which the route's role
dependency already ensures. The seed and the snapshot for the command line are in `seeding.py`.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from aihub_programs.adapters import catalog as catalog_db
from aihub_programs.adapters import enrollments as enrollments_db
from aihub_programs.domain.catalog import CohortSettings, CohortSpec, ProgramSettings, ProgramSpec
from aihub_programs.domain.review_structure import locked_structure_problems
from aihub_programs.service_layer.access import require_manager, sees_enrollments
from aihub_programs.service_layer.enrollment import resize_and_promote
from aihub_programs.service_layer.events import new_event
from aihub_programs.service_layer.seats import now
from aihub_shared.contracts.programs import CohortPublished
from aihub_shared.identity import StaffPrincipal
from aihub_shared.refusals import Conflict, Forbidden, InvalidInput, NotFound
from aihub_shared.runtime import outbox
from aihub_shared.runtime.db import DbConnection


class CatalogNotFound(NotFound):
    """No such program or cohort (404 over HTTP)."""


class CatalogConflict(Conflict):
    """A taken code, or a cohort named under another program (409 over HTTP)."""


# -- reading ------------------------------------------------------------------------------------


async def list_programs(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """Every program with the codes of its cohorts."""
    async with pool.acquire() as conn:
        return await catalog_db.list_programs(conn)


async def get_program(pool: asyncpg.Pool, code: str) -> dict[str, Any]:
    """The program with each of its cohorts in full."""
    async with pool.acquire() as conn:
        found = [p for p in await catalog_db.list_programs(conn) if p["code"] == code]
        if not found:
            raise CatalogNotFound(f"no program {code!r}")
        cohorts = [await catalog_db.cohort_view(conn, c) for c in found[0]["cohorts"]]
    return {**found[0], "cohorts": cohorts}


async def get_cohort(pool: asyncpg.Pool, code: str, *, staff: StaffPrincipal) -> dict[str, Any]:
    """The cohort and how many hold or wait for its seats (the enrollments themselves are read
    a page at a time: `list_enrollments`)."""
    async with (
        pool.acquire() as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
    ):
        view = await catalog_db.cohort_view(conn, code)
        if view is None:
            raise CatalogNotFound(f"no cohort {code!r}")
        confirmed, waitlisted = await enrollments_db.enrollment_counts(conn, code)
    return {**view, "seats_taken": confirmed, "waitlisted": waitlisted}


async def list_enrollments(
    pool: asyncpg.Pool,
    code: str,
    *,
    staff: StaffPrincipal,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the cohort's enrollments, for those who may see them (`sees_enrollments`):
    seats, then the waitlist in order (with each startup's current position), then the
    cancelled ones with the reason; and how many there are."""
    if not sees_enrollments(staff):
        raise Forbidden("reviewers do not see who holds or waits for a cohort's seats")
    # One snapshot: the page, its waitlist positions and the total agree with each other.
    async with (
        pool.acquire() as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
    ):
        await require_cohort(conn, code)
        return await enrollments_db.cohort_enrollments(
            conn, code, status, limit=limit, offset=offset
        )


async def require_cohort(conn: DbConnection, code: str) -> str:
    """The program of an existing cohort; CatalogNotFound otherwise."""
    program_code = await catalog_db.program_of_cohort(conn, code)
    if program_code is None:
        raise CatalogNotFound(f"no cohort {code!r}")
    return program_code


# -- staff changes: one transaction each ---------------------------------------------------------


async def create_program(pool: asyncpg.Pool, program: ProgramSpec) -> list[str]:
    """A program and (optionally) its first cohorts, in one transaction. Returns the cohorts
    published."""
    published: list[str] = []
    async with pool.acquire() as conn, conn.transaction():
        # The conflict clause, not a prior existence check, decides: two racing creations of one
        # code cannot both succeed.
        if not await catalog_db.upsert_program(conn, program.code, program, create_only=True):
            raise CatalogConflict(f"program {program.code!r} already exists")
        for cohort in program.cohorts:
            published += await _add_cohort(conn, program.code, cohort.code, cohort)
    return published


async def update_program(pool: asyncpg.Pool, code: str, program: ProgramSettings) -> list[str]:
    """Replace a program's names, descriptions, partner and managers; each of its cohorts whose
    published state changed is re-published."""
    async with pool.acquire() as conn, conn.transaction():
        return await replace_program(conn, code, program, must_exist=True)


async def create_cohort(
    pool: asyncpg.Pool, program_code: str, cohort: CohortSpec, *, staff: StaffPrincipal
) -> list[str]:
    """A new cohort of a program the caller manages."""
    require_manager(staff, program_code)
    async with pool.acquire() as conn, conn.transaction():
        return await _add_cohort(conn, program_code, cohort.code, cohort)


async def update_cohort(
    pool: asyncpg.Pool, code: str, cohort: CohortSettings, *, staff: StaffPrincipal
) -> list[str]:
    """Replace a cohort's settings (of a program the caller manages). Added seats promote waiting
    startups at once; removed seats evict nobody (the cohort takes nobody until it is below its
    seats again). Once its application window has opened, the stages' and criteria's codes and
    weights are fixed (`domain/review_structure.py`): a change of them is refused field by
    field."""
    async with pool.acquire() as conn, conn.transaction():
        program_code = await require_cohort(conn, code)
        require_manager(staff, program_code)
        return await replace_cohort(conn, program_code, code, cohort, keep_scoring_shape=True)


# -- the steps, inside the caller's transaction ---------------------------------------------------


async def replace_program(
    conn: DbConnection, code: str, program: ProgramSettings, *, must_exist: bool
) -> list[str]:
    """Store a program (created unless `must_exist`) and re-publish its cohorts that changed.
    The program row is locked first, so a cohort is never created with the names of a rename
    that is committing meanwhile, and the rename sees every cohort it must re-publish."""
    if not await catalog_db.lock_program(conn, code) and must_exist:
        raise CatalogNotFound(f"no program {code!r}")
    codes = await catalog_db.cohort_codes(conn, code)
    before = {c: await published_state(conn, c) for c in codes}
    await catalog_db.upsert_program(conn, code, program)
    return await _publish_changed(conn, before)  # no seats change: no cohort lock


async def replace_cohort(
    conn: DbConnection,
    program_code: str,
    code: str,
    cohort: CohortSettings,
    *,
    keep_scoring_shape: bool = False,
) -> list[str]:
    """Store a cohort (created or replaced) and publish it if its state changed. The program
    shared (a rename waits, or is waited for), then the cohort itself: a second change of it
    reads its state only once the first has committed. With `keep_scoring_shape` (staff
    changes; the operator's seed file is trusted) a change of the scoring shape after the window
    opened is refused (`InvalidInput`)."""
    await catalog_db.lock_program(conn, program_code, share=True)
    await check_owner(conn, program_code, code)
    await catalog_db.lock_cohorts(conn, [code])
    old = await published_state(conn, code)
    if keep_scoring_shape and old is not None:
        problems = locked_structure_problems(
            old.review_stages,
            list(cohort.review_stages),
            window_opened_at=old.application_opens_at,
            now=now(),
        )
        if problems:
            raise InvalidInput(problems)
    before = {code: old}
    await catalog_db.upsert_cohort(conn, program_code, code, cohort)
    return await _publish_changed(conn, before)


async def check_owner(conn: DbConnection, program_code: str, cohort_code: str) -> None:
    """A cohort never moves to another program: one named under a program it is not part of is
    refused."""
    owner = await catalog_db.program_of_cohort(conn, cohort_code)
    if owner is not None and owner != program_code:
        raise CatalogConflict(f"cohort {cohort_code!r} belongs to program {owner!r}")


async def _add_cohort(
    conn: DbConnection, program_code: str, code: str, cohort: CohortSettings
) -> list[str]:
    if not await catalog_db.lock_program(conn, program_code, share=True):
        raise CatalogNotFound(f"no program {program_code!r}")
    if not await catalog_db.upsert_cohort(conn, program_code, code, cohort, create_only=True):
        raise CatalogConflict(f"cohort {code!r} already exists")
    return await _publish_changed(conn, {code: None})


async def _publish_changed(
    conn: DbConnection, before: dict[str, CohortPublished | None]
) -> list[str]:
    events = []
    for code, old in before.items():
        new = await published_state(conn, code)
        if new is None or new == old:
            continue
        if old is None or new.seats != old.seats:
            await resize_and_promote(conn, code)
        events.append(new_event("cohort.published", subject=code, data=new))
    # The catalog event goes after any promotion the new seats caused: same transaction, and
    # consumers of the two topics never depend on their relative order.
    await outbox.add_events(conn, events)
    return [e.subject or "" for e in events]


async def published_state(conn: DbConnection, cohort_code: str) -> CohortPublished | None:
    """The cohort as `cohort.published` announces it; None if there is no such cohort."""
    view = await catalog_db.cohort_view(conn, cohort_code)
    return CohortPublished.model_validate(view) if view else None
