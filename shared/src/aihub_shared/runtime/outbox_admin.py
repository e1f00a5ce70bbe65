"""`aihub-outbox`: see and settle outbox rows the relay set aside (too large, invalid topic).

Such a row is an event the service committed but Kafka refused for good. Ops decide: `retry`
after fixing the cause (e.g. raising the topic's `max.message.bytes`), or `drop` it knowingly.
Both act on set-aside rows only, so a row the relay still owns is never touched.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, TypeVar

import asyncpg
import typer
from rich.console import Console
from rich.table import Table

from aihub_shared.runtime.db import DbConnection

T = TypeVar("T")


@dataclass(frozen=True)
class SetAsideRow:
    id: int
    topic: str
    event_type: str | None
    event_id: str | None
    size: int
    created_at: datetime
    failed_at: datetime
    failed_reason: str


async def list_set_aside(conn: DbConnection, *, limit: int = 100) -> list[SetAsideRow]:
    rows = await conn.fetch(
        "SELECT id, topic, event_type, event_id, octet_length(value) AS size, created_at,"
        " failed_at, failed_reason FROM outbox"
        " WHERE published_at IS NULL AND failed_at IS NOT NULL ORDER BY id LIMIT $1",
        limit,
    )
    return [SetAsideRow(**dict(r)) for r in rows]


async def retry_set_aside(conn: DbConnection, ids: list[int]) -> list[int]:
    """Hand the rows back to the relay; returns the ids that were set aside."""
    rows = await conn.fetch(
        "UPDATE outbox SET failed_at = NULL, failed_reason = NULL"
        " WHERE id = ANY($1) AND published_at IS NULL AND failed_at IS NOT NULL RETURNING id",
        ids,
    )
    return sorted(r["id"] for r in rows)


async def drop_set_aside(conn: DbConnection, ids: list[int]) -> list[int]:
    """Delete the rows for good; returns the ids that were set aside."""
    rows = await conn.fetch(
        "DELETE FROM outbox"
        " WHERE id = ANY($1) AND published_at IS NULL AND failed_at IS NOT NULL RETURNING id",
        ids,
    )
    return sorted(r["id"] for r in rows)


app = typer.Typer(help="Outbox rows the relay set aside: list, retry, drop.", no_args_is_help=True)
console = Console()

ServiceOption = Annotated[
    str,
    typer.Option(
        "--service",
        help="applications, programs or notifications; reads <SERVICE>_DATABASE_URL.",
    ),
]


def _dsn(service: str) -> str:
    variable = f"{service.upper()}_DATABASE_URL"
    dsn = os.environ.get(variable)
    if not dsn:
        raise typer.BadParameter(f"set {variable}", param_hint="--service")
    return dsn


async def _connected(dsn: str, work: Callable[[DbConnection], Awaitable[T]]) -> T:
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            return await work(conn)
    finally:
        await conn.close()


@app.command("list")
def list_command(service: ServiceOption, limit: int = typer.Option(100, min=1)) -> None:
    """Show set-aside rows, oldest first."""
    rows = asyncio.run(_connected(_dsn(service), lambda c: list_set_aside(c, limit=limit)))
    table = Table(title=f"{service}: outbox rows set aside", title_justify="left")
    for column in ("id", "topic", "type", "event id", "bytes", "failed at", "reason"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row.id),
            row.topic,
            row.event_type or "-",
            row.event_id or "-",
            str(row.size),
            row.failed_at.isoformat(timespec="seconds"),
            row.failed_reason,
        )
    console.print(table if rows else f"{service}: no outbox rows set aside")


@app.command("retry")
def retry_command(service: ServiceOption, ids: list[int]) -> None:
    """Let the relay try these rows again (after fixing what made Kafka refuse them)."""
    done = asyncio.run(_connected(_dsn(service), lambda c: retry_set_aside(c, ids)))
    console.print(f"handed back to the relay: {done or 'none (not set aside)'}")


@app.command("drop")
def drop_command(
    service: ServiceOption,
    ids: list[int],
    yes: bool = typer.Option(False, "--yes", help="Confirm: these events will never be sent."),
) -> None:
    """Delete these rows; their events are never published."""
    if not yes:
        raise typer.BadParameter("dropping loses the events; repeat with --yes", param_hint="--yes")
    done = asyncio.run(_connected(_dsn(service), lambda c: drop_set_aside(c, ids)))
    console.print(f"dropped: {done or 'none (not set aside)'}")
