"""Talking to the platform through the real broker: submit like a portal, read receipts like one.

The generic broker I/O (`publish`, `read_until`, `header`) is in `aihub_local.testing`."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from aihub_local.testing import publish, read_until
from aihub_shared.contracts.registry import contract
from aihub_shared.runtime.kafka_client import KafkaConnection


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


def as_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


async def submit(kafka: KafkaConnection, event: dict[str, Any]) -> None:
    """Publish one `application.submitted` as a portal does: keyed by its submission id."""
    key = event["data"]["submission_id"].encode()
    await publish(kafka, "intake.applications", [(key, as_bytes(event), [])])


async def receipt_for(kafka: KafkaConnection, submission_id: str) -> dict[str, Any]:
    """The data of the (first) receipt for a submission."""
    (receipt,) = await read_until(
        kafka, "intake.receipts", lambda r: r.key == submission_id.encode(), count=1
    )
    data: dict[str, Any] = json.loads(receipt.value)["data"]
    return data
