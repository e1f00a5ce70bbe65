"""The operators' routes every service mounts, on the real broker, Postgres and Keycloak: a dead
letter the real consumer wrote is listed, shown and replayed through that consumer's own inbox
(once, whoever asks how often), a replay that fails again says why; set-aside outbox rows are
listed, retried and dropped; only ops and admin may."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from aihub_local.stack import StackEndpoints
from aihub_local.testing import (
    StaffAccount,
    StaffHeaders,
    consumer_record,
    oidc_issuer_url,
    publish,
)
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.examples import example_event
from aihub_shared.contracts.registry import contract
from aihub_shared.contracts.topics import INTAKE_APPLICATIONS
from aihub_shared.runtime.consumer import EventConsumer
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.dead_letter_admin import dead_letter_topics
from aihub_shared.runtime.dead_letter_reader import DeadLetterReader
from aihub_shared.runtime.errors import RejectedEvent
from aihub_shared.runtime.http_auth import staff_principal
from aihub_shared.runtime.http_errors import answer_refusals
from aihub_shared.runtime.oidc import OidcSettings
from aihub_shared.runtime.ops_routes import ops_router
from aihub_shared.runtime.outbox import decode_headers
from aihub_shared.runtime.retry import RetryPolicy

pytestmark = pytest.mark.integration

OPS = StaffHeaders(StaffAccount("ops@hub.example", ("ops",)))
ADMIN = StaffHeaders(StaffAccount("admin@hub.example", ("admin",)))
REVIEWER = StaffHeaders(StaffAccount("reviewer@hub.example"))
DLQ = "intake.applications.dlq"
FAST = RetryPolicy(retry_later_max_seconds=0.5, unexpected_max_attempts=2, initial_backoff=0.01)


class Intake:
    """A consumer whose handler rejects every event until the cause is `fixed`."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.fixed = False
        self.consumer = EventConsumer(
            name="kit.intake",
            topics=[INTAKE_APPLICATIONS],
            handlers={"application.submitted": self.handle},
            pool=pool,
            retry=FAST,
        )

    async def handle(self, conn: DbConnection, event: CloudEvent, data: Any) -> None:
        if not self.fixed:
            raise RejectedEvent("cohort cv-ops-test is not open")
        await conn.execute("INSERT INTO effects VALUES ($1)", event.id)


@pytest.fixture
async def intake(kit_pool: asyncpg.Pool) -> Intake:
    await kit_pool.execute("CREATE TABLE IF NOT EXISTS effects (event_id text)")
    await kit_pool.execute("TRUNCATE effects, dead_letter_replays")
    return Intake(kit_pool)


@pytest.fixture
async def api(
    kit_pool: asyncpg.Pool, intake: Intake, local_stack: StackEndpoints
) -> AsyncIterator[httpx.AsyncClient]:
    oidc = OidcSettings.model_validate({"OIDC_ISSUER_URL": oidc_issuer_url()})

    async def no_programs(pool: asyncpg.Pool, email: str) -> frozenset[str]:
        return frozenset()

    app = FastAPI()
    answer_refusals(app)
    app.include_router(ops_router(staff_principal(oidc, no_programs)))
    # As in a running applications service: its own Kafka principal, pool and consumers, and
    # the dead-letter reader it keeps between requests.
    kafka = local_stack.kafka_as("applications")
    consumers = {intake.consumer.name: intake.consumer}
    reader = DeadLetterReader(kafka, dead_letter_topics(consumers))
    app.state.runtime = SimpleNamespace(
        pool=kit_pool,
        settings=SimpleNamespace(kafka=kafka),
        consumers=consumers,
        dead_letters=reader,
    )
    transport = httpx.ASGITransport(app=app)
    async with (
        reader,
        httpx.AsyncClient(transport=transport, base_url="http://service") as client,
    ):
        yield client


async def dead_letter_on_kafka(
    kit_pool: asyncpg.Pool, intake: Intake, local_stack: StackEndpoints, key: bytes
) -> bytes:
    """The consumer fails a submission; its dead letter goes to Kafka as the relay sends it."""
    event = example_event(contract("application.submitted")).model_copy(
        update={"id": f"ops-{uuid.uuid4()}"}
    )
    value = json.dumps(event.model_dump(mode="json", exclude_none=True)).encode()
    record = consumer_record(INTAKE_APPLICATIONS, value, key=key, headers=[("x-trace", b"t1")])
    assert await intake.consumer.handle_record(record) == "dead-lettered"
    row = await kit_pool.fetchrow(
        "SELECT key, value, headers FROM outbox WHERE topic = $1 AND key = $2", DLQ, key
    )
    assert row is not None
    await publish(
        local_stack.kafka, DLQ, [(row["key"], row["value"], decode_headers(row["headers"]))]
    )
    return value


async def test_a_dead_letter_is_listed_shown_and_replayed_once(
    api: httpx.AsyncClient,
    kit_pool: asyncpg.Pool,
    intake: Intake,
    local_stack: StackEndpoints,
    run_id: str,
) -> None:
    key = f"ops-{run_id}".encode()
    before = await api.get("/ops/dead-letters", params={"topic": DLQ}, headers=OPS)
    assert before.status_code == 200, before.text
    assert key.decode() not in [d["key"] for d in before.json()["items"]]
    # Written after the reader's connection was opened: the kept connection reads it too.
    value = await dead_letter_on_kafka(kit_pool, intake, local_stack, key)

    assert (await api.get("/ops/dead-letters", headers=REVIEWER)).status_code == 403
    listed = await api.get("/ops/dead-letters", params={"topic": DLQ}, headers=OPS)
    assert listed.status_code == 200, listed.text
    assert DLQ in listed.json()["topics"]
    (mine,) = [d for d in listed.json()["items"] if d["key"] == key.decode()]
    assert mine["reason"] == "rejected by a business rule"
    assert mine["detail"] == "cohort cv-ops-test is not open"
    assert mine["consumer"] == "kit.intake"
    assert mine["event_type"] == contract("application.submitted").type
    assert mine["replays"] == []
    where = f"/ops/dead-letters/{DLQ}/{mine['partition']}/{mine['offset']}"

    shown_answer = await api.get(where, headers=OPS)
    assert shown_answer.status_code == 200, shown_answer.text
    shown = shown_answer.json()
    assert shown["value"] == value.decode()
    assert ["x-trace", "t1"] in shown["headers"]
    assert not [h for h in shown["headers"] if h[0].startswith("dlq_")]

    again = await api.post(where + "/replay", headers=OPS)
    assert again.status_code == 409
    assert "cohort cv-ops-test is not open" in again.json()["detail"]
    assert await kit_pool.fetchval("SELECT count(*) FROM effects") == 0

    intake.fixed = True
    applied = await api.post(where + "/replay", headers=OPS)
    assert applied.status_code == 200, applied.text
    assert applied.json()["outcome"] == "applied"
    assert applied.json()["requested_by"] == "ops@hub.example"
    repeated = await api.post(where + "/replay", headers=ADMIN)
    assert repeated.json()["outcome"] == "already-applied"
    assert await kit_pool.fetchval("SELECT count(*) FROM effects") == 1

    history = (await api.get(where, headers=OPS)).json()["replays"]
    assert [(r["outcome"], r["requested_by"]) for r in history] == [
        ("failed", "ops@hub.example"),
        ("applied", "ops@hub.example"),
        ("already-applied", "admin@hub.example"),
    ]
    assert "not open" in history[0]["reason"]


async def test_positions_and_topics_not_this_services_are_404(api: httpx.AsyncClient) -> None:
    missing = await api.post(f"/ops/dead-letters/{DLQ}/0/{10**15}/replay", headers=OPS)
    assert missing.status_code == 404
    assert "no dead letter of this service" in missing.json()["detail"]
    not_ours = await api.get("/ops/dead-letters/applications.lifecycle.dlq/0/0", headers=OPS)
    assert not_ours.status_code == 404
    assert (
        await api.get("/ops/dead-letters/intake.applications/0/0", headers=OPS)
    ).status_code == 422


async def add_set_aside(pool: asyncpg.Pool) -> int:
    row_id: int = await pool.fetchval(
        "INSERT INTO outbox (topic, key, value, event_id, event_type, failed_at, failed_reason)"
        " VALUES ('applications.lifecycle', 'k', $1, 'e1', 't1', now(),"
        " 'MessageSizeTooLargeError()') RETURNING id",
        b"x" * 300,
    )
    return row_id


async def test_set_aside_outbox_rows_are_listed_retried_and_dropped(
    api: httpx.AsyncClient, kit_pool: asyncpg.Pool
) -> None:
    first, second = await add_set_aside(kit_pool), await add_set_aside(kit_pool)
    assert (await api.get("/ops/outbox", headers=REVIEWER)).status_code == 403
    listed = (await api.get("/ops/outbox", headers=OPS)).json()
    assert [(r["id"], r["size"], r["failed_reason"]) for r in listed] == [
        (first, 300, "MessageSizeTooLargeError()"),
        (second, 300, "MessageSizeTooLargeError()"),
    ]
    retried = await api.post("/ops/outbox/retry", json={"ids": [first]}, headers=OPS)
    assert retried.json() == {"ids": [first]}
    dropped = await api.post("/ops/outbox/drop", json={"ids": [first, second]}, headers=ADMIN)
    assert dropped.json() == {"ids": [second]}  # the first belongs to the relay again
    assert [r["id"] for r in await kit_pool.fetch("SELECT id FROM outbox ORDER BY id")] == [first]
    for wrong in ([], [True], [2**63], ["1"]):
        refused = await api.post("/ops/outbox/drop", json={"ids": wrong}, headers=OPS)
        assert refused.status_code == 422, wrong
