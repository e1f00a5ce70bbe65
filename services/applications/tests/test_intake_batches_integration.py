"""Intake a fetched batch at a time (issue 16): the service's own intake consumer judges a batch
in one transaction with set-based SQL, and each submission gets the answer it would get alone,
in order — duplicates inside the batch, refused next to accepted, a crash mid-batch."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
import pytest
from aiokafka import ConsumerRecord

from aihub_applications.entrypoints.app import definition
from aihub_local.testing import consumer_record, eventually
from aihub_shared.contracts.programs import CohortPublished
from aihub_shared.contracts.registry import contract
from aihub_shared.contracts.topics import INTAKE_APPLICATIONS
from aihub_shared.runtime.consumer import EventConsumer
from aihub_shared.runtime.retry import RetryPolicy
from services.applications.tests.support import (
    CohortFactory,
    outbox_events_keyed,
    service_settings,
    submission,
)

pytestmark = pytest.mark.integration


def intake_consumer(pool: asyncpg.Pool) -> EventConsumer:
    """The service's own intake consumer, as `definition()` assembles it."""
    consumers = definition(service_settings()).consumers
    (spec,) = [s for s in consumers if s.name == "applications.intake"]
    return spec.build(pool, RetryPolicy(initial_backoff=0.01, max_backoff=0.05))


def submitted(data: dict[str, Any], event_id: str | None = None) -> ConsumerRecord:
    envelope = {
        "specversion": "1.0",
        "id": event_id or str(uuid.uuid4()),
        "source": "/test/portal",
        "type": contract("application.submitted").type,
        "time": "2027-01-20T01:30:00Z",
        "subject": data["submission_id"],
        "data": data,
    }
    return consumer_record(
        INTAKE_APPLICATIONS, json.dumps(envelope).encode(), key=data["submission_id"].encode()
    )


def brn(data: dict[str, Any]) -> str:
    number: str = data["startup"]["business_registration_number"]
    return number


async def receipts(pool: asyncpg.Pool, data: dict[str, Any]) -> list[dict[str, Any]]:
    return await outbox_events_keyed(pool, data["submission_id"])


async def stored(pool: asyncpg.Pool, cohort: CohortPublished) -> dict[str, str]:
    rows = await pool.fetch(
        "SELECT submission_id, status FROM applications WHERE cohort_code = $1",
        cohort.cohort_code,
    )
    return {r["submission_id"]: r["status"] for r in rows}


async def test_duplicates_inside_one_batch_are_judged_as_if_sent_one_by_one(
    applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    first = submission(cohort, 1)
    same_brn = submission(cohort, 2)
    same_brn["startup"] = {**same_brn["startup"], "business_registration_number": brn(first)}
    changed = {**first, "answers": {"why_now": "Changed my mind."}}
    repeated = submitted(first)
    batch = [
        repeated,
        submitted(first),  # the same submission under a new event id: the same receipt
        repeated,  # the same event again: handled once
        submitted(same_brn),  # the same business again: refused, naming the first
        submitted(changed),  # other content under the same submission id: refused
    ]
    consumer = intake_consumer(applications_pool)

    assert await consumer.handle_batch(batch) == 4

    accepted, again, conflict = await receipts(applications_pool, first)
    assert accepted["outcome"] == again["outcome"] == "accepted"
    assert again["application_id"] == accepted["application_id"]
    assert conflict["outcome"] == "refused"
    assert [r["code"] for r in conflict["reasons"]] == ["conflicting_resubmission"]
    (duplicate,) = await receipts(applications_pool, same_brn)
    assert [r["code"] for r in duplicate["reasons"]] == ["duplicate_business_registration"]
    assert accepted["application_id"] in json.dumps(duplicate["reasons"])
    assert await stored(applications_pool, cohort) == {
        first["submission_id"]: "received",
        same_brn["submission_id"]: "ineligible",
    }
    # The whole batch again (a redelivery): nothing new.
    assert await consumer.handle_batch(batch) == 0
    assert len(await receipts(applications_pool, first)) == 3


async def test_a_refused_and_an_accepted_submission_in_one_batch(
    applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    good = submission(cohort, 3)
    no_consent = submission(cohort, 4, consent_personal_info=False)
    unknown_cohort = submission(cohort, 5, cohort_code="no-such-cohort")
    hostile = submission(cohort, 6)
    hostile["startup"] = {**hostile["startup"], "name": "line\nbreak"}
    batch = [submitted(d) for d in (good, no_consent, hostile, unknown_cohort)]

    await intake_consumer(applications_pool).handle_batch(batch)

    (accepted,) = await receipts(applications_pool, good)
    assert accepted["outcome"] == "accepted"
    for refused, code in (
        (no_consent, "consent_missing"),
        (unknown_cohort, "unknown_cohort"),
        (hostile, "control_character"),
    ):
        (receipt,) = await receipts(applications_pool, refused)
        assert receipt["outcome"] == "refused"
        assert code in [r["code"] for r in receipt["reasons"]]
    assert await stored(applications_pool, cohort) == {
        good["submission_id"]: "received",
        no_consent["submission_id"]: "ineligible",
    }
    lifecycle = await applications_pool.fetch(
        "SELECT event_type FROM outbox WHERE key = $1 ORDER BY id", cohort.cohort_code.encode()
    )
    assert [r["event_type"].split(".")[-2] for r in lifecycle] == ["received", "ineligible"]


async def test_a_crash_mid_batch_loses_nothing_and_doubles_nothing(
    applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    """The batch's transaction dies while it waits for a lock (as a killed process's would);
    the redelivered batch then stores each submission once, with one receipt each."""
    cohort = await make_cohort()
    data = [submission(cohort, n) for n in range(10, 16)]
    batch = [submitted(d) for d in data]
    async with applications_pool.acquire() as holder, holder.transaction():
        await holder.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))", f"brn:{cohort.cohort_code}:{brn(data[3])}"
        )
        crashing = asyncio.create_task(intake_consumer(applications_pool).handle_batch(batch))

        async def waiting() -> bool:
            return bool(
                await applications_pool.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                )
            )

        await eventually(waiting, within=30, what="the batch to wait for the lock")
        crashing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await crashing
    assert await stored(applications_pool, cohort) == {}

    consumer = intake_consumer(applications_pool)
    assert await consumer.handle_batch(batch) == len(batch)
    assert await consumer.handle_batch(batch) == 0
    assert await stored(applications_pool, cohort) == {d["submission_id"]: "received" for d in data}
    for d in data:
        (receipt,) = await receipts(applications_pool, d)
        assert receipt["outcome"] == "accepted"
