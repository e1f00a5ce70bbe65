"""Read side of the deliveries for the HTTP API: lists with filters, one with its attempts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from aihub_shared.runtime.db import DbConnection

SUMMARY_COLUMNS = (
    "id, event_id, event_type, correlation_id, template, locale, recipient, subject, status,"
    " attempts, next_attempt_at, last_error, sent_at, failed_at, created_at, program_code,"
    " message_id, resend_of, requested_by, covered_event_ids"
)


async def list_deliveries(
    conn: DbConnection,
    *,
    status: str | None = None,
    template: str | None = None,
    recipient: str | None = None,
    event_id: str | None = None,
    program_codes: Sequence[str] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Newest first. `program_codes` limits to mails about those programs (a program manager's
    view); None means no limit."""
    clauses: list[str] = []
    args: list[Any] = []

    def where(sql: str, value: Any) -> None:
        args.append(value)
        clauses.append(sql.format(f"${len(args)}"))

    if status is not None:
        where("status = {}", status)
    if template is not None:
        where("template = {}", template)
    if recipient is not None:
        where("lower(recipient) = lower({})", recipient)
    if event_id is not None:
        # The mail the event caused, or a grouped staff mail that tells of it among others.
        where("(event_id = {0} OR covered_event_ids @> ARRAY[{0}::text])", event_id)
    if program_codes is not None:
        where("program_code = ANY({}::text[])", list(program_codes))
    args += [limit, offset]
    condition = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = await conn.fetch(
        f"SELECT {SUMMARY_COLUMNS} FROM deliveries {condition}"  # noqa: S608 — our own clauses
        f" ORDER BY created_at DESC, id LIMIT ${len(args) - 1} OFFSET ${len(args)}",
        *args,
    )
    return [dict(r) for r in rows]


async def delivery_detail(conn: DbConnection, delivery_id: uuid.UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {SUMMARY_COLUMNS}, recipient_name, body_text, body_html"  # noqa: S608
        " FROM deliveries WHERE id = $1",
        delivery_id,
    )
    if row is None:
        return None
    attempts = await conn.fetch(
        "SELECT started_at, finished_at, outcome, error FROM delivery_attempts"
        " WHERE delivery_id = $1 ORDER BY id",
        delivery_id,
    )
    return {**dict(row), "attempt_log": [dict(a) for a in attempts]}
