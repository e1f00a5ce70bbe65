"""Talking to the real broker from tests: publish like a portal, read like an auditor."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from aihub_shared.contracts.registry import contract


def submitted_event(
    submission_id: str,
    *,
    program_code: str,
    cohort_code: str,
    contact_email: str,
    startup_name: str = "Deep Harbor AI",
    brn: str = "2208162517",
    locale: str = "en",
    source: str = "/test/portal",
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": source,
        "type": contract("application.submitted").type,
        "time": datetime.now(UTC).isoformat(),
        "subject": submission_id,
        "datacontenttype": "application/json",
        "data": {
            "submission_id": submission_id,
            "program_code": program_code,
            "cohort_code": cohort_code,
            "startup": {
                "name": startup_name,
                "business_registration_number": brn,
                "founded_on": "2023-05-02",
                "employees": 9,
                "website": "https://deepharbor.example",
                "ai_field": "maritime vision",
                "description": "Vision models for ports.",
            },
            "contact": {"name": "Mina Park", "email": contact_email, "locale": locale},
            "answers": {"why_now": "Our pilots in Busan port finished."},
            "consent_personal_info": True,
        },
    }


async def publish(
    bootstrap: str,
    topic: str,
    messages: list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]],
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value, headers in messages:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


def as_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


async def read_until(
    bootstrap: str,
    topic: str,
    match: Callable[[ConsumerRecord], bool],
    *,
    count: int,
    within: float = 60.0,
) -> list[ConsumerRecord]:
    """Every matching record on the topic from the beginning, once `count` have been seen."""
    # No group: the consumer takes every partition and reads from the start, committing nothing.
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: list[ConsumerRecord] = []
    try:
        async with asyncio.timeout(within):
            while len(found) < count:
                batches = await consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    found.extend(r for r in records if match(r))
    except TimeoutError as exc:
        raise AssertionError(f"saw {len(found)} of {count} matching records on {topic}") from exc
    finally:
        await consumer.stop()
    return found


def header(record: ConsumerRecord, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return bytes(value).decode(errors="replace")
    return None


async def submit(bootstrap: str, event: dict[str, Any]) -> None:
    """Publish one `application.submitted` as a portal does: keyed by its submission id."""
    key = event["data"]["submission_id"].encode()
    await publish(bootstrap, "intake.applications", [(key, as_bytes(event), [])])


async def receipt_for(bootstrap: str, submission_id: str) -> dict[str, Any]:
    """The data of the (first) receipt for a submission."""
    (receipt,) = await read_until(
        bootstrap, "intake.receipts", lambda r: r.key == submission_id.encode(), count=1
    )
    data: dict[str, Any] = json.loads(receipt.value)["data"]
    return data
