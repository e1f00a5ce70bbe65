"""A consumer with `RefusedReceipts` answers every attributable contract violation with a refused
receipt, field by field, in the same transaction and once per record; only what cannot be
attributed is dead-lettered. Real Postgres, both the batch and the one-by-one path."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest
from aiokafka import ConsumerRecord

from aihub_local.testing import consumer_record
from aihub_shared.contracts.examples import example_event
from aihub_shared.contracts.registry import ServiceEvents, contract
from aihub_shared.contracts.topics import INTAKE_APPLICATIONS, INTAKE_RECEIPTS
from aihub_shared.runtime.consumer import EventConsumer
from aihub_shared.runtime.outbox import decode_headers
from aihub_shared.runtime.refused_receipts import RefusedReceipts
from aihub_shared.runtime.retry import RetryPolicy

pytestmark = pytest.mark.integration

FAST = RetryPolicy(initial_backoff=0.01, max_backoff=0.05)


def submission(run_id: str, name: str, **data: Any) -> dict[str, Any]:
    document: dict[str, Any] = example_event(contract("application.submitted")).model_dump(
        mode="json", exclude_none=True
    )
    document["id"] = f"{run_id}-{name}"
    document["data"]["submission_id"] = f"{run_id}-{name}"
    document["data"].update(data)
    return document


def record(document: object) -> ConsumerRecord:
    raw = document if isinstance(document, bytes) else json.dumps(document).encode()
    return consumer_record(INTAKE_APPLICATIONS, raw, key=b"k")


def intake_consumer(pool: asyncpg.Pool, handled: list[str]) -> EventConsumer:
    async def never_for_broken_input(*_: object) -> None:
        handled.append("handler ran")

    return EventConsumer(
        name="kit.refusing-intake",
        topics=[INTAKE_APPLICATIONS],
        handlers={"application.submitted": never_for_broken_input},
        pool=pool,
        retry=FAST,
        refuse=RefusedReceipts(
            ServiceEvents("/services/kit"),
            "intake.receipt",
            "submission_id",
            locale_at=("contact", "locale"),
        ),
    )


async def queued(pool: asyncpg.Pool, run_id: str) -> dict[str, list[dict[str, Any]]]:
    rows = await pool.fetch(
        "SELECT topic, key, value, headers FROM outbox WHERE convert_from(key, 'UTF8') LIKE $1"
        " ORDER BY id",
        f"{run_id}%",
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["topic"] == INTAKE_RECEIPTS:
            found.setdefault(row["key"].decode(), []).append(json.loads(row["value"]))
        else:
            headers = dict(decode_headers(row["headers"]))
            reason = headers["dlq_reason"].decode()
            found.setdefault(row["key"].decode(), []).append({"dlq": reason})
    return found


async def test_attributable_violations_get_a_receipt_and_the_rest_a_dead_letter(
    kit_pool: asyncpg.Pool, run_id: str
) -> None:
    handled: list[str] = []
    consumer = intake_consumer(kit_pool, handled)
    startup = submission(run_id, "x")["data"]["startup"]
    everything_wrong = submission(
        run_id,
        "everything",
        startup={**startup, "employees": 100_001, "founded_on": "2022-02-30"},
        contact={"name": "Mallory\r\nBcc: all@example.com", "email": "m@x.example", "locale": "en"},
    )
    del everything_wrong["time"]  # the envelope is broken too
    unknown_major = {
        **submission(run_id, "v9"),
        "type": "kr.seoul.aihub.application.submitted.v9",
    }
    korean_or_english = submission(run_id, "nolocale", consent_personal_info="yes")
    del korean_or_english["data"]["contact"]["locale"]
    korean_or_english["data"]["contact"]["name"] = " 김하늘"
    no_id = submission(run_id, "noid")
    del no_id["data"]["submission_id"]
    no_id["subject"] = f"{run_id}-noid"
    records = [
        record(everything_wrong),
        record(unknown_major),
        record(korean_or_english),
        consumer_record(INTAKE_APPLICATIONS, b"not json {", key=f"{run_id}-json".encode()),
        consumer_record(
            INTAKE_APPLICATIONS, json.dumps(no_id).encode(), key=f"{run_id}-noid".encode()
        ),
    ]
    assert await consumer.handle_batch(records[:2]) == 0  # the fast path, one transaction
    assert [await consumer.handle_record(r) for r in records[2:]] == [
        "refused",
        "dead-lettered",
        "dead-lettered",
    ]
    # The same records again (a replay after a crash) answer nothing twice.
    assert [await consumer.handle_record(r) for r in records] == ["duplicate"] * len(records)
    assert handled == []

    found = await queued(kit_pool, run_id)
    assert found[f"{run_id}-json"] == [{"dlq": "not JSON"}]
    assert found[f"{run_id}-noid"] == [{"dlq": "data violates the contract"}]

    (receipt,) = found[f"{run_id}-everything"]
    assert receipt["subject"] == f"{run_id}-everything"
    assert receipt["causationid"] == f"{run_id}-everything"
    assert receipt["data"]["outcome"] == "refused"
    assert receipt["data"]["submitted_by"] == everything_wrong["source"]
    assert receipt["data"]["application_id"] is None
    reasons = {r["path"]: r for r in receipt["data"]["reasons"]}
    assert {path: r["code"] for path, r in reasons.items()} == {
        "$.time": "missing",
        "$.data.startup.employees": "less_than_equal",
        "$.data.startup.founded_on": "invalid_date",
        "$.data.contact.name": "control_character",
    }
    # The applicant reads English; nothing of the hostile input is echoed.
    assert reasons["$.data.startup.employees"]["message"] == (
        "Input should be less than or equal to 100000"
    )
    assert "Bcc" not in json.dumps(receipt)

    (unknown,) = found[f"{run_id}-v9"]
    assert [(r["path"], r["code"]) for r in unknown["data"]["reasons"]] == [
        ("$.type", "unknown_event_type")
    ]

    (bilingual,) = found[f"{run_id}-nolocale"]
    codes = {r["path"]: (r["code"], r["message"]) for r in bilingual["data"]["reasons"]}
    assert codes == {
        "$.data.contact.name": (
            "surrounding_white_space",
            "앞뒤에 공백이 올 수 없습니다. / must not start or end with white space",
        ),
        "$.data.consent_personal_info": (
            "bool_type",
            "true 또는 false여야 합니다. / must be true or false",
        ),
    }
