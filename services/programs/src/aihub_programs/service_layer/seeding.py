"""The command line's catalog operations: seeding a whole catalog, and a snapshot of every cohort.

Neither ever holds two cohort locks at once: a consumer batch locks its cohorts in event order,
which no other path can follow, so holding one cohort at a time is what keeps them from
deadlocking with it.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import asyncpg

from aihub_programs.adapters import catalog as catalog_db
from aihub_programs.domain.catalog import CatalogSeed
from aihub_programs.service_layer.catalog import (
    check_owner,
    published_state,
    replace_cohort,
    replace_program,
)
from aihub_programs.service_layer.events import new_event
from aihub_shared.runtime import outbox


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
                await check_owner(conn, program.code, cohort.code)
    published: list[str] = []
    for program in seed.programs:
        async with pool.acquire() as conn, conn.transaction():
            published += await replace_program(conn, program.code, program, must_exist=False)
        for cohort in program.cohorts:
            async with pool.acquire() as conn, conn.transaction():
                published += await replace_cohort(conn, program.code, cohort.code, cohort)
    return list(dict.fromkeys(published))  # a cohort re-announced twice is listed once


async def republish_all(pool: asyncpg.Pool) -> list[str]:
    """Queue `cohort.published` for every cohort, changed or not, marked `snapshot`: the state a
    replica must hold from now on, even one that kept a wrong "newer" state or was rebuilt from
    scratch (the compacted topic normally suffices). One cohort per
    transaction, locked while read (so not a state older than a concurrent change's)."""
    async with pool.acquire() as conn:
        codes = [
            code for program in await catalog_db.list_programs(conn) for code in program["cohorts"]
        ]
    published = []
    for code in codes:
        async with pool.acquire() as conn, conn.transaction():
            await catalog_db.lock_cohorts(conn, [code])
            state = await published_state(conn, code)
            if state is not None:
                # A snapshot: replicas take it even over a state stamped later (a repair).
                snapshot = state.model_copy(update={"snapshot": True})
                await outbox.add_events(
                    conn, [new_event("cohort.published", subject=code, data=snapshot)]
                )
                published.append(code)
    return published
