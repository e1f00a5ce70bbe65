"""`aihub-programs serve` runs the service; `aihub-programs seed` loads a catalog."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from aihub_programs.entrypoints.app import definition
from aihub_programs.service_layer.catalog import CatalogConflict
from aihub_programs.service_layer.seeding import apply_catalog, load_seed, republish_all
from aihub_programs.settings import Settings
from aihub_shared.runtime.db import apply_migrations, create_pool
from aihub_shared.runtime.service import serve as serve_definition

app = typer.Typer(help="Seoul AI Hub programs service.", no_args_is_help=True)


@app.command()
def serve() -> None:
    """Run the service: HTTP API, Kafka consumers and the outbox relay."""
    serve_definition(definition())


@app.command()
def seed(
    file: Path | None = typer.Option(None, help="Catalog JSON; default: the hub's programs."),
) -> None:
    """Upsert the catalog and queue `cohort.published` for every cohort that changed."""
    catalog = load_seed(file)

    async def run() -> list[str]:
        settings = Settings()
        pool = await create_pool(settings.database_dsn, max_size=2)
        try:
            await apply_migrations(pool, "aihub_programs")
            return await apply_catalog(pool, catalog)
        finally:
            await pool.close()

    try:
        published = asyncio.run(run())
    except CatalogConflict as exc:
        typer.echo(f"catalog not applied: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"catalog applied; {len(published)} cohorts published: {', '.join(published)}")


@app.command()
def republish() -> None:
    """Queue `cohort.published` for every cohort (a snapshot for replicas rebuilt from scratch)."""

    async def run() -> list[str]:
        pool = await create_pool(Settings().database_dsn, max_size=2)
        try:
            await apply_migrations(pool, "aihub_programs")
            return await republish_all(pool)
        finally:
            await pool.close()

    published = asyncio.run(run())
    typer.echo(f"{len(published)} cohorts queued for publication: {', '.join(published)}")
