"""Keeping the catalog and telling the other services about every change."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from aihub_programs.adapters import repository
from aihub_programs.domain.catalog import CatalogSeed
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import CohortPublished
from aihub_shared.contracts.registry import contract
from aihub_shared.runtime import outbox
from aihub_shared.runtime.db import DbConnection

SOURCE = "/services/programs"


def load_seed(path: Path | None = None) -> CatalogSeed:
    """The given catalog file, or the hub's own programs shipped with the service."""
    text = (
        path.read_text(encoding="utf-8")
        if path is not None
        else resources.files("aihub_programs").joinpath("catalog/hub_programs.json").read_text()
    )
    return CatalogSeed.model_validate(json.loads(text))


async def apply_catalog(conn: DbConnection, seed: CatalogSeed) -> list[str]:
    """Upsert programs and cohorts; publish `cohort.published` for each cohort that changed.
    Returns the codes of the cohorts published. Call inside a transaction."""
    published: list[CohortPublished] = []
    for program in seed.programs:
        before = {c.code: await _published_state(conn, c.code) for c in program.cohorts}
        await repository.upsert_program(conn, program)
        for cohort in program.cohorts:
            await repository.upsert_cohort(conn, program.code, cohort)
            after = await _published_state(conn, cohort.code)
            if after is not None and after != before[cohort.code]:
                published.append(after)
    await outbox.add_events(
        conn,
        [
            CloudEvent.new(
                type=contract("cohort.published").type,
                source=SOURCE,
                subject=state.cohort_code,
                data=state,
            )
            for state in published
        ],
    )
    return [state.cohort_code for state in published]


async def _published_state(conn: DbConnection, cohort_code: str) -> CohortPublished | None:
    view = await repository.cohort_view(conn, cohort_code)
    return CohortPublished.model_validate(view) if view else None
