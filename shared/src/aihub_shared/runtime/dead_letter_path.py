"""The consumer's way out for a record it cannot apply: a refused receipt (when the spec's
`refuse` answers the contract violation) or a dead letter queued through the outbox for
`<topic>.dlq`. Both in the caller's transaction, once per record position, so a replay of the
same bytes at a new offset is a new message."""

from __future__ import annotations

from datetime import UTC, datetime

from aiokafka import ConsumerRecord

from aihub_shared.contracts.envelope import EventContractError
from aihub_shared.contracts.topics import dead_letter_topic
from aihub_shared.runtime import inbox, outbox, record_context
from aihub_shared.runtime.consuming import log
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.deadletters import MAX_DEAD_LETTER_KEY, bounded_copy
from aihub_shared.runtime.refused_receipts import ContractRefusal, ContractViolation


async def answer_violation(
    conn: DbConnection,
    consumer: str,
    refuse: ContractRefusal | None,
    record: ConsumerRecord,
    exc: EventContractError,
) -> str:
    """A refused receipt (or whatever the spec's `refuse` answers) when the violation can be
    attributed to a publisher and its id; else, or as well when nothing answers, a dead
    letter. Both in the caller's transaction, once per record position."""
    answer = []
    if refuse is not None and exc.document is not None:
        answer = list(refuse(ContractViolation(exc.document, exc.reason, exc.errors)))
    if not answer:
        return await write_dead_letter(conn, consumer, record, exc.reason, exc.detail)
    if not await inbox.claim(conn, consumer, record_context.position(record), "refused"):
        return "duplicate"
    await outbox.add_events(conn, answer)
    log.info("contract violation answered", reason=exc.reason, detail=exc.detail[:500])
    return "refused"


async def write_dead_letter(
    conn: DbConnection, consumer: str, record: ConsumerRecord, reason: str, detail: str
) -> str:
    """Queue the original record for `<topic>.dlq`, once per record position."""
    if not await inbox.claim(conn, consumer, record_context.position(record), "dead-lettered"):
        return "duplicate"
    value, extra = bounded_copy(record)
    headers = [
        *extra,
        ("dlq_reason", reason.encode()),
        ("dlq_detail", detail[:2000].encode()),
        ("dlq_consumer", consumer.encode()),
        ("dlq_topic", record.topic.encode()),
        ("dlq_partition", str(record.partition).encode()),
        ("dlq_offset", str(record.offset).encode()),
        ("dlq_at", datetime.now(UTC).isoformat().encode()),
    ]
    await outbox.add_raw(
        conn,
        topic=dead_letter_topic(record.topic),
        key=record.key[:MAX_DEAD_LETTER_KEY] if record.key else record.key,
        value=value,
        headers=headers,
    )
    log.warning("dead-lettered", reason=reason, detail=detail[:500])
    return "dead-lettered"
