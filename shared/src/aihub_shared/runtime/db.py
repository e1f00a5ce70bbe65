"""asyncpg pool and the SQL migrations of a service schema (the kit's tables first)."""

from __future__ import annotations

import json
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TypeAlias

import asyncpg
import structlog
from asyncpg.pool import PoolConnectionProxy

log = structlog.get_logger(__name__)

KIT_MIGRATIONS = ("aihub_shared", "migrations")

# What handlers and repositories take: a plain connection or one borrowed from the pool.
DbConnection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


#: Postgres compiles a query with LLVM when its estimated cost is high (`jit_above_cost`): on a
#: table of one live row but thousands of dead pages — a cohort row whose seat counters many
#: enrollments updated — the compiling took 220 ms of a 228 ms read. The services' statements are
#: short OLTP ones that never earn their compile time back.
SERVER_SETTINGS = {"jit": "off"}


async def create_pool(dsn: str, *, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn,
        min_size=1,
        max_size=max_size,
        init=_init_connection,
        command_timeout=60,
        server_settings=SERVER_SETTINGS,
    )
    assert pool is not None
    return pool


def _sql_files(package: str, folder: str) -> list[tuple[str, Traversable]]:
    root = resources.files(package).joinpath(folder)
    files = [f for f in root.iterdir() if f.name.endswith(".sql")]
    return sorted(((f"{package}/{f.name}", f) for f in files), key=lambda item: item[0])


async def apply_migrations(
    pool: asyncpg.Pool, service_package: str | None, *, with_kit_tables: bool = True
) -> list[str]:
    """Apply the kit's migrations (outbox, inbox: for services that publish and consume), then
    the service's (if any), each once, under an advisory lock so that several instances starting
    together do not race. Returns the names applied now."""
    pending = _sql_files(*KIT_MIGRATIONS) if with_kit_tables else []
    if service_package is not None:
        pending += _sql_files(service_package, "migrations")
    applied_now: list[str] = []
    async with pool.acquire() as conn:
        schema = await conn.fetchval("SELECT current_schema()")
        if schema is None or schema == "public":
            raise RuntimeError(
                "the service role must have its own schema first in its search_path "
                "(see deploy/postgres/init)"
            )
        await conn.execute("SELECT pg_advisory_lock(hashtext('migrations:' || current_schema()))")
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
            for name, file in pending:
                if name in done:
                    continue
                async with conn.transaction():
                    await conn.execute(file.read_text(encoding="utf-8"))
                    await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
                applied_now.append(name)
                log.info("migration applied", migration=name, schema=schema)
        finally:
            await conn.execute(
                "SELECT pg_advisory_unlock(hashtext('migrations:' || current_schema()))"
            )
    return applied_now
