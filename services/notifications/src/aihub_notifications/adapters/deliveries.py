"""SQL of the deliveries (one e-mail to one recipient) and of their SMTP attempts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

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
_CLAIMED = (
    "SELECT id, event_id, correlation_id, template, locale, recipient, recipient_name, subject,"
    " body_text, body_html, message_id, attempts, message FROM deliveries"
)


async def claim_due(
    conn: DbConnection, *, limit: int, among: Sequence[uuid.UUID] | None = None
) -> list[Delivery]:
    """Row-lock up to `limit` due pending deliveries, oldest due first, skipping those another
    sender holds, and return them whole. With `among`, only those (to keep the rest of a batch
    claimed). Call inside a transaction: the locks last until it ends. `NO KEY UPDATE`, so that
    attempt rows can be written for a locked delivery from another connection (their foreign
    key check takes `KEY SHARE`, which `FOR UPDATE` would block)."""
    if among is None:
        rows = await conn.fetch(
            f"{_CLAIMED} WHERE {_DUE}"
            " ORDER BY next_attempt_at, created_at LIMIT $1 FOR NO KEY UPDATE SKIP LOCKED",
            limit,
        )
    else:
        rows = await conn.fetch(
            f"{_CLAIMED} WHERE {_DUE} AND id = ANY($2::uuid[])"
            " ORDER BY next_attempt_at, created_at LIMIT $1 FOR NO KEY UPDATE SKIP LOCKED",
            limit,
            list(among),
        )
    return [Delivery(**dict(row)) for row in rows]


Outcome = Literal["sent", "retry", "failed"]


@dataclass(frozen=True)
class Settled:
    """How an attempt ended, to be written to its delivery row (`settle`)."""

    delivery_id: uuid.UUID
    attempt: int
    outcome: Outcome
    error: str | None = None
    #: For `retry`: how long until the delivery is due again.
    delay_seconds: float = 0.0


# Settling rows: the open attempt of the last mail closed, its event queued, every row written.
_SETTLE = (
    "WITH closed AS (UPDATE delivery_attempts SET outcome = $7, error = $8,"  # noqa: S608 — constant
    " finished_at = statement_timestamp() WHERE id = $6),"
    f" queued AS ({outbox.insert_events_sql([], first_param=9)[0]})"
    " UPDATE deliveries d SET"
    " status = CASE u.outcome WHEN 'retry' THEN 'pending' ELSE u.outcome END,"
    " sent_at = CASE WHEN u.outcome = 'sent'"
    " THEN coalesce(a.finished_at, statement_timestamp()) END,"
    " failed_at = CASE WHEN u.outcome = 'failed' THEN statement_timestamp() END,"
    " attempts = d.attempts + 1, last_error = u.error,"
    " next_attempt_at = CASE WHEN u.outcome = 'retry'"
    " THEN statement_timestamp() + make_interval(secs => u.delay) ELSE d.next_attempt_at END,"
    " updated_at = statement_timestamp()"
    " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::float8[], $5::bigint[])"
    " AS u(id, outcome, error, delay, attempt)"
    " LEFT JOIN delivery_attempts a ON a.id = u.attempt"
    " WHERE d.id = u.id"
)


async def settle(
    conn: DbConnection,
    outcomes: Sequence[Settled],
    *,
    closing: Settled | None,
    events: Sequence[CloudEvent] = (),
) -> None:
    """Write outcomes to their delivery rows (status, attempts, error, next try), in the
    transaction holding the rows' locks, in one statement, with `events`: the `email.sent` of
    every row written as sent here and the `email.failed` of one failed, so each event is
    queued by the statement that writes its row's outcome, once. The attempts of `outcomes` are
    closed already (`start_attempt` closed them); `closing`'s is still open and is closed here
    with its row."""
    rows = [*outcomes, closing] if closing is not None else list(outcomes)
    if not rows:
        return
    _, queued_args = outbox.insert_events_sql(events, first_param=9)
    await conn.execute(
        _SETTLE,
        [r.delivery_id for r in rows],
        [r.outcome for r in rows],
        [r.error for r in rows],
        [r.delay_seconds for r in rows],
        [r.attempt for r in rows],
        closing.attempt if closing is not None else None,
        closing.outcome if closing is not None else None,
        closing.error if closing is not None else None,
        *queued_args,
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
    #: The attempt started now, or, when `sent_before`, the earlier one that sent the mail.
    id: int
    #: Attempts of the delivery a crash left open, closed now as `interrupted`: the server may
    #: have taken the message before the crash.
    interrupted: int
    #: An earlier attempt already handed the mail to the server, and a crash came before its row
    #: was settled: nothing is to be sent, only the row to be marked sent.
    sent_before: bool = False


# Starting an attempt: the previous mail's attempt closed as sent and its event queued, the
# attempts a crash left open closed, and a new one opened unless an earlier attempt sent it.
_START_ATTEMPT = (
    "WITH sent AS (UPDATE delivery_attempts SET outcome = 'sent', finished_at = now()"
    " WHERE id = $2::bigint),"
    " last AS (SELECT id, outcome FROM delivery_attempts WHERE delivery_id = $1"
    " ORDER BY id DESC LIMIT 1),"
    " interrupted AS (UPDATE delivery_attempts SET outcome = 'interrupted',"
    " finished_at = now() WHERE delivery_id = $1 AND outcome IS NULL RETURNING id),"
    " started AS (INSERT INTO delivery_attempts (delivery_id) SELECT $1::uuid"
    " WHERE NOT EXISTS (SELECT FROM last WHERE outcome = 'sent') RETURNING id)"
    " SELECT (SELECT id FROM started) AS started, (SELECT id FROM last) AS last,"
    " (SELECT count(*) FROM interrupted) AS interrupted"
)


async def start_attempt(
    conn: DbConnection, delivery_id: uuid.UUID, *, sent: int | None = None
) -> Attempt:
    """Record that an SMTP conversation for the delivery starts now, closing those a crash left
    open; on its own connection, committed at once, before talking. The same statement closes
    the attempt `sent` of the previous mail as sent: one round trip per mail. The previous
    mail's row (and its `email.sent`) is written when the batch settles; until then its closed
    attempt says it was sent, so a crash in between never sends it again (`sent_before`).
    No event is queued here: an outbox insert per mail would NOTIFY the relay per mail, and
    Postgres serialises the commits of notifying transactions."""
    row = await conn.fetchrow(_START_ATTEMPT, delivery_id, sent)
    assert row is not None
    if row["started"] is None:
        return Attempt(row["last"], 0, sent_before=True)
    return Attempt(row["started"], row["interrupted"])


async def locked_row(conn: DbConnection, delivery_id: uuid.UUID) -> asyncpg.Record | None:
    """The whole row, locked until the caller's transaction ends (a resend copies it)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM deliveries WHERE id = $1 FOR NO KEY UPDATE", delivery_id
    )
    return row
