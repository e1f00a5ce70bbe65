"""Keeping the catalog and telling the other services about every change.

Every change publishes `cohort.published` (the cohort's whole state, keyed by cohort code, on the
compacted `programs.catalog`) for each cohort it affects: a program change re-publishes all of
its cohorts, since each event carries the program's names and managers too. A change of seats
promotes waiting startups into added seats in the same transaction.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import asyncpg

from aihub_programs.adapters import repository
from aihub_programs.domain.catalog import CatalogSeed, CohortSettings, ProgramSettings
from aihub_programs.service_layer.enrollment import resize_and_promote
from aihub_programs.service_layer.publishing import new_event
from aihub_shared.contracts.programs import CohortPublished
from aihub_shared.runtime import outbox
from aihub_shared.runtime.db import DbConnection


class CatalogNotFound(Exception):
    pass


class CatalogConflict(Exception):
    pass


def load_seed(path: Path | None = None) -> CatalogSeed:
    """The given catalog file, or the hub's own programs shipped with the service."""
    text = (
        path.read_text(encoding="utf-8")
        if path is not None
        else resources.files("aihub_programs").joinpath("catalog/hub_programs.json").read_text()
    )
    return CatalogSeed.model_validate(json.loads(text))


async def apply_catalog(pool: asyncpg.Pool, seed: CatalogSeed) -> list[str]:
    """Upsert programs and cohorts; publish `cohort.published` for each cohort that changed.
    Returns the codes of the cohorts published.

    One transaction per program (its own row, then re-announcing its cohorts if it changed) and
    one per cohort (as `PUT /cohorts/{code}` does): none ever holds two cohort locks, so a seed
    can never deadlock with a consumer batch that holds several cohorts in event order. A seed
    is idempotent: if one step fails, running it again finishes the job."""
    async with pool.acquire() as conn:
        for program in seed.programs:  # refused before anything is written
            for cohort in program.cohorts:
                await _check_owner(conn, program.code, cohort.code)
    published: list[str] = []
    for program in seed.programs:
        async with pool.acquire() as conn, conn.transaction():
            await repository.lock_program(conn, program.code)
            codes = await repository.cohort_codes(conn, program.code)
            before = {code: await _published_state(conn, code) for code in codes}
            await repository.upsert_program(conn, program.code, program)
            published += await _publish_changed(conn, before)  # no seats change: no cohort lock
        for cohort in program.cohorts:
            async with pool.acquire() as conn, conn.transaction():
                await repository.lock_program(conn, program.code, share=True)
                await _check_owner(conn, program.code, cohort.code)
                await repository.lock_cohorts(conn, [cohort.code])
                before = {cohort.code: await _published_state(conn, cohort.code)}
                await repository.upsert_cohort(conn, program.code, cohort.code, cohort)
                published += await _publish_changed(conn, before)
    return list(dict.fromkeys(published))  # a cohort re-announced twice is listed once


async def _check_owner(conn: DbConnection, program_code: str, cohort_code: str) -> None:
    owner = await repository.program_of_cohort(conn, cohort_code)
    if owner is not None and owner != program_code:
        raise CatalogConflict(f"cohort {cohort_code!r} belongs to program {owner!r}")


async def republish_all(pool: asyncpg.Pool) -> list[str]:
    """Queue `cohort.published` for every cohort, changed or not: a snapshot for a replica that
    must be rebuilt from scratch (the compacted topic normally suffices). One cohort per
    transaction, locked while read (so not a state older than a concurrent change's): it never
    holds two cohort locks, so it cannot deadlock with a consumer batch."""
    async with pool.acquire() as conn:
        codes = [
            code for program in await repository.list_programs(conn) for code in program["cohorts"]
        ]
    published = []
    for code in codes:
        async with pool.acquire() as conn, conn.transaction():
            await repository.lock_cohorts(conn, [code])
            state = await _published_state(conn, code)
            if state is not None:
                await outbox.add_events(
                    conn, [new_event("cohort.published", subject=code, data=state)]
                )
                published.append(code)
    return published


async def create_program(conn: DbConnection, code: str, program: ProgramSettings) -> None:
    if not await repository.upsert_program(conn, code, program, create_only=True):
        raise CatalogConflict(f"program {code!r} already exists")


async def update_program(conn: DbConnection, code: str, program: ProgramSettings) -> list[str]:
    if not await repository.lock_program(conn, code):
        raise CatalogNotFound(f"no program {code!r}")
    codes = await repository.cohort_codes(conn, code)
    before = {c: await _published_state(conn, c) for c in codes}
    await repository.upsert_program(conn, code, program)
    return await _publish_changed(conn, before)


async def create_cohort(
    conn: DbConnection, program_code: str, code: str, cohort: CohortSettings
) -> list[str]:
    if not await repository.lock_program(conn, program_code, share=True):
        raise CatalogNotFound(f"no program {program_code!r}")
    if not await repository.upsert_cohort(conn, program_code, code, cohort, create_only=True):
        raise CatalogConflict(f"cohort {code!r} already exists")
    return await _publish_changed(conn, {code: None})


async def update_cohort(conn: DbConnection, code: str, cohort: CohortSettings) -> list[str]:
    program_code = await repository.program_of_cohort(conn, code)
    if program_code is None:
        raise CatalogNotFound(f"no cohort {code!r}")
    # The program shared (a rename waits, or is waited for), then the cohort itself: a second
    # change of it reads its state only once the first has committed.
    await repository.lock_program(conn, program_code, share=True)
    await repository.lock_cohorts(conn, [code])
    before = {code: await _published_state(conn, code)}
    await repository.upsert_cohort(conn, program_code, code, cohort)
    return await _publish_changed(conn, before)


async def _publish_changed(
    conn: DbConnection, before: dict[str, CohortPublished | None]
) -> list[str]:
    events = []
    for code, old in before.items():
        new = await _published_state(conn, code)
        if new is None or new == old:
            continue
        if old is None or new.seats != old.seats:
            await resize_and_promote(conn, code)
        events.append(new_event("cohort.published", subject=code, data=new))
    # The catalog event goes after any promotion the new seats caused: same transaction, and
    # consumers of the two topics never depend on their relative order.
    await outbox.add_events(conn, events)
    return [e.subject or "" for e in events]


async def _published_state(conn: DbConnection, cohort_code: str) -> CohortPublished | None:
    view = await repository.cohort_view(conn, cohort_code)
    return CohortPublished.model_validate(view) if view else None
