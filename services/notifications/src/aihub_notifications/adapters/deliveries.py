"""SQL of the deliveries (one e-mail to one recipient) and of their SMTP attempts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from aihub_notifications.adapters.message import OutgoingMail
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.runtime import outbox
from aihub_shared.runtime.db import DbConnection


@dataclass(frozen=True)
class NewDelivery:
    id: uuid.UUID
    event_id: str
    event_type: str
    correlation_id: str | None
    template: str
    locale: str
    recipient: str
    recipient_name: str
    subject: str
    body_text: str
    body_html: str
    message_id: str
    program_code: str | None = None
    resend_of: uuid.UUID | None = None
    requested_by: str | None = None
    #: The message built when queued (`message.queued_message`); None: built when sent.
    message: bytes | None = None


@dataclass(frozen=True)
class Delivery:
    id: uuid.UUID
    event_id: str
    correlation_id: str | None
    template: str
    locale: str
    recipient: str
    recipient_name: str
    subject: str
    body_text: str
    body_html: str
    message_id: str
    attempts: int
    message: bytes | None = None


async def insert_deliveries(
    conn: DbConnection, deliveries: Sequence[NewDelivery]
) -> set[uuid.UUID]:
    """Queue e-mails; those already queued for the same (event, recipient, template) are left
    as they are. Returns the ids of the new ones."""
    if not deliveries:
        return set()
    rows = await conn.fetch(
        "INSERT INTO deliveries (id, event_id, event_type, correlation_id, template, locale,"
        " recipient, recipient_name, subject, body_text, body_html, message_id, program_code,"
        " resend_of, requested_by, message)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],"
        " $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],"
        " $13::text[], $14::uuid[], $15::text[], $16::bytea[])"
        " ON CONFLICT DO NOTHING RETURNING id",
        [d.id for d in deliveries],
        [d.event_id for d in deliveries],
        [d.event_type for d in deliveries],
        [d.correlation_id for d in deliveries],
        [d.template for d in deliveries],
        [d.locale for d in deliveries],
        [d.recipient for d in deliveries],
        [d.recipient_name for d in deliveries],
        [d.subject for d in deliveries],
        [d.body_text for d in deliveries],
        [d.body_html for d in deliveries],
        [d.message_id for d in deliveries],
        [d.program_code for d in deliveries],
        [d.resend_of for d in deliveries],
        [d.requested_by for d in deliveries],
        [d.message for d in deliveries],
    )
    return {r["id"] for r in rows}


def outgoing_mail(row: NewDelivery | Delivery) -> OutgoingMail:
    """What the message of a delivery is built from."""
    return OutgoingMail(
        delivery_id=str(row.id),
        message_id=row.message_id,
        locale=row.locale,
        recipient=row.recipient,
        recipient_name=row.recipient_name,
        subject=row.subject,
        text=row.body_text,
        html=row.body_html,
        template=row.template,
    )


_DUE = "status = 'pending' AND next_attempt_at <= now()"


async def lock_due(
    conn: DbConnection, *, limit: int, among: Sequence[uuid.UUID] | None = None
) -> list[uuid.UUID]:
    """Row-lock up to `limit` due pending deliveries, oldest due first, skipping those another
    sender holds. With `among`, only those (to keep the rest of a batch claimed). Call inside a
    transaction: the locks last until it ends. `NO KEY UPDATE`, so that an attempt row can be
    written for a locked delivery from another connection (its foreign key check takes
    `KEY SHARE`, which `FOR UPDATE` would block)."""
    if among is None:
        rows = await conn.fetch(
            f"SELECT id FROM deliveries WHERE {_DUE}"  # noqa: S608 — constant SQL text
            " ORDER BY next_attempt_at, created_at LIMIT $1 FOR NO KEY UPDATE SKIP LOCKED",
            limit,
        )
    else:
        rows = await conn.fetch(
            f"SELECT id FROM deliveries WHERE {_DUE} AND id = ANY($2::uuid[])"  # noqa: S608
            " ORDER BY next_attempt_at, created_at LIMIT $1 FOR NO KEY UPDATE SKIP LOCKED",
            limit,
            list(among),
        )
    return [r["id"] for r in rows]


async def delivery(conn: DbConnection, delivery_id: uuid.UUID) -> Delivery | None:
    row = await conn.fetchrow(
        "SELECT id, event_id, correlation_id, template, locale, recipient, recipient_name,"
        " subject, body_text, body_html, message_id, attempts, message"
        " FROM deliveries WHERE id = $1",
        delivery_id,
    )
    return Delivery(**dict(row)) if row is not None else None


# Each outcome closes its attempt row in the same statement (one round trip per mail).
_FINISH_ATTEMPT = (
    "WITH finished AS (UPDATE delivery_attempts SET outcome = $2, error = $3,"
    " finished_at = now() WHERE id = $4)"
)


async def mark_sent(
    conn: DbConnection, delivery_id: uuid.UUID, *, attempt: int, events: Sequence[CloudEvent]
) -> None:
    """Sent: the row, its attempt and its `email.sent` event in one statement."""
    queue, queued_args = outbox.insert_events_sql(events, first_param=5)
    await conn.execute(
        _FINISH_ATTEMPT + f", queued AS ({queue})"  # noqa: S608 — constant SQL text
        " UPDATE deliveries SET status = 'sent', sent_at = now(),"
        " attempts = attempts + 1, last_error = $3, updated_at = now() WHERE id = $1",
        delivery_id,
        "sent",
        None,
        attempt,
        *queued_args,
    )


async def mark_retry(
    conn: DbConnection, delivery_id: uuid.UUID, *, attempt: int, error: str, delay_seconds: float
) -> None:
    await conn.execute(
        _FINISH_ATTEMPT + " UPDATE deliveries SET attempts = attempts + 1, last_error = $3,"  # noqa: S608 — constant SQL text
        " next_attempt_at = now() + make_interval(secs => $5), updated_at = now()"
        " WHERE id = $1",
        delivery_id,
        "retry",
        error,
        attempt,
        delay_seconds,
    )


async def mark_failed(
    conn: DbConnection, delivery_id: uuid.UUID, *, attempt: int, error: str
) -> None:
    await conn.execute(
        _FINISH_ATTEMPT + " UPDATE deliveries SET status = 'failed', failed_at = now(),"  # noqa: S608 — constant SQL text
        " attempts = attempts + 1, last_error = $3, updated_at = now() WHERE id = $1",
        delivery_id,
        "failed",
        error,
        attempt,
    )


async def deliveries_for_event(conn: DbConnection, event_id: str) -> list[dict[str, Any]]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM deliveries WHERE event_id = $1 ORDER BY template, recipient", event_id
    )
    return [dict(r) for r in rows]


# ---------------------------------------------------------------------------------------------
# Attempts.


@dataclass(frozen=True)
class Attempt:
    id: int
    #: Attempts of the delivery a crash left open, closed now as `interrupted`: the server may
    #: have taken the message before the crash.
    interrupted: int


async def start_attempt(conn: DbConnection, delivery_id: uuid.UUID) -> Attempt:
    """Record that an SMTP conversation for the delivery starts now, closing those a crash left
    open; commit it before talking."""
    row = await conn.fetchrow(
        "WITH interrupted AS (UPDATE delivery_attempts SET outcome = 'interrupted',"
        " finished_at = now() WHERE delivery_id = $1 AND outcome IS NULL RETURNING id)"
        " INSERT INTO delivery_attempts (delivery_id) VALUES ($1)"
        " RETURNING id, (SELECT count(*) FROM interrupted) AS interrupted",
        delivery_id,
    )
    assert row is not None
    return Attempt(row["id"], row["interrupted"])


async def locked_row(conn: DbConnection, delivery_id: uuid.UUID) -> asyncpg.Record | None:
    """The whole row, locked until the caller's transaction ends (a resend copies it)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM deliveries WHERE id = $1 FOR NO KEY UPDATE", delivery_id
    )
    return row
