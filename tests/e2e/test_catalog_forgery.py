"""A `cohort.published` stamped in the future cannot become a replica's state for ever, and
`aihub-programs republish` repairs a replica that holds a wrong "newer" state. Real broker, the
three services as processes."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
import pytest

from aihub_local.platform import programs_command
from aihub_local.stack import StackEndpoints
from aihub_local.testing import eventually, header, publish, read_until

pytestmark = pytest.mark.integration

ATTACKER = "attacker@evil.example"
REPLICAS = ("applications", "notifications")  # the schemas holding a catalog replica


async def _published(local_stack: StackEndpoints, cohort: str) -> dict[str, Any]:
    (record,) = await read_until(
        local_stack.kafka, "programs.catalog", lambda r: r.key == cohort.encode(), count=1
    )
    event: dict[str, Any] = json.loads(record.value)
    return event


async def _replica(local_stack: StackEndpoints, schema: str, cohort: str) -> asyncpg.Record:
    conn = await asyncpg.connect(local_stack.postgres_admin_dsn)
    try:
        row: asyncpg.Record | None = await conn.fetchrow(
            # The schema comes from REPLICAS, never from input.
            f"SELECT seats, event_time FROM {schema}.cohorts WHERE cohort_code = $1",  # noqa: S608
            cohort,
        )
    finally:
        await conn.close()
    assert row is not None, f"{cohort} not in the {schema} replica"
    return row


async def _managers(local_stack: StackEndpoints, cohort: str) -> str:
    conn = await asyncpg.connect(local_stack.postgres_admin_dsn)
    try:
        managers: str = await conn.fetchval(
            "SELECT program_managers::text FROM notifications.cohorts WHERE cohort_code = $1",
            cohort,
        )
    finally:
        await conn.close()
    return managers


async def test_a_future_dated_cohort_is_dead_lettered_and_the_replicas_keep_the_real_state(
    local_stack: StackEndpoints, open_cohort: dict[str, str]
) -> None:
    cohort = open_cohort["cohort"]
    real = await _published(local_stack, cohort)
    forged = {**real, "id": str(uuid.uuid4()), "time": "2099-01-01T00:00:00Z"}
    forged["data"] = {
        **real["data"],
        "seats": 10_000,
        "program_managers": [{**real["data"]["program_managers"][0], "email": ATTACKER}],
    }
    # Whoever could still write the catalog (a stolen programs password) gets no further.
    await publish(
        local_stack.kafka,
        "programs.catalog",
        [(cohort.encode(), json.dumps(forged).encode(), [])],
    )

    dead = await read_until(
        local_stack.kafka,
        "programs.catalog.dlq",
        lambda r: r.key == cohort.encode() and json.loads(r.value)["id"] == forged["id"],
        count=2,
    )
    assert {header(r, "dlq_consumer") for r in dead} == {
        "applications.catalog",
        "notifications.catalog",
    }
    for record in dead:
        assert header(record, "dlq_reason") == "rejected by a business rule"
        assert "minutes ahead" in (header(record, "dlq_detail") or "")
    for schema in REPLICAS:
        assert (await _replica(local_stack, schema, cohort))["seats"] == 2, schema
    assert ATTACKER not in await _managers(local_stack, cohort)


async def test_republish_repairs_replicas_holding_a_wrong_newer_state(
    local_stack: StackEndpoints, open_cohort: dict[str, str]
) -> None:
    cohort = open_cohort["cohort"]
    # What a forged event left behind before the replicas refused the future: a state stamped
    # 2099 that every real update would lose to.
    conn = await asyncpg.connect(local_stack.postgres_admin_dsn)
    try:
        for schema in REPLICAS:
            await conn.execute(
                f"UPDATE {schema}.cohorts SET seats = 10000,"  # noqa: S608 - schema from REPLICAS
                " event_time = '2099-01-01T00:00:00Z' WHERE cohort_code = $1",
                cohort,
            )
    finally:
        await conn.close()

    output = await asyncio.to_thread(programs_command, local_stack, ["republish"])
    assert cohort in output

    async def repaired() -> bool:
        rows = [await _replica(local_stack, schema, cohort) for schema in REPLICAS]
        return all(row["seats"] == 2 and row["event_time"].year < 2099 for row in rows)

    await eventually(repaired, what="both replicas back on the programs service's state")
