"""Confirmed ≤ seats, always: two programs instances consume one burst of acceptances,
duplicates, re-decisions, early and late withdrawals and staff cancellations for one small
cohort, on the real broker and Postgres. Every published step of the cohort's history is
replayed and checked, and the waitlist is promoted in rank order."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from aihub_local.platform import create_topics, seed_catalog
from aihub_local.stack import StackEndpoints
from aihub_local.testing import (
    StaffAccount,
    StaffHeaders,
    eventually,
    publish,
    read_until,
    valid_brn,
)
from aihub_shared.runtime.kafka_client import KafkaConnection
from tests.e2e.programs_io import (
    SeatHistory,
    accepted_data,
    group_members,
    kpi_report_event,
    lifecycle_event,
    programs_instances,
    read_seat_history,
    received_data,
    withdrawn_data,
)
from tests.e2e.support import unique, write_test_catalog

pytestmark = pytest.mark.integration

ADMIN = StaffHeaders(StaffAccount("admin@hub.example", ("admin",)))
SEATS = 3
STARTUPS = 36


@pytest.fixture(scope="module")
def instances(
    local_stack: StackEndpoints, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[str]]:
    create_topics(local_stack)
    log_dir = local_stack.state_dir / "logs" / "seat-invariant"
    log_dir.mkdir(parents=True, exist_ok=True)
    with programs_instances(local_stack, log_dir, count=2) as urls:
        yield urls


async def test_two_instances_never_exceed_the_seats(
    local_stack: StackEndpoints, instances: list[str], tmp_path: Path
) -> None:
    program, cohort = unique("seats"), unique("seats-cohort")
    seed_catalog(
        local_stack,
        write_test_catalog(
            tmp_path, program=program, cohort=cohort, seats=SEATS, manager_email="pm@hub.example"
        ),
    )
    # Both instances are in the consumer group before the burst, so both take partitions.
    await eventually(
        lambda: _at_least(group_members(local_stack.kafka_as("admin"), "programs.lifecycle"), 2),
        what="two members in the programs.lifecycle group",
    )

    rng = random.Random(4)  # noqa: S311 - a reproducible shuffle, not security
    apps = [str(uuid.uuid4()) for _ in range(STARTUPS)]
    ranks: dict[str, int | None] = dict(
        zip(apps, rng.sample(range(1, STARTUPS + 1), STARTUPS), strict=True)
    )
    for app in apps[-4:]:
        ranks[app] = None  # unranked: after every ranked startup
    early_withdrawals = set(apps[:4])  # withdrawn before their acceptance arrives
    late_withdrawals = set(apps[4:14])  # withdrawn after it (seat or waitlist place freed)
    duplicated = set(apps[14:24])  # the same event twice, and a re-decision with a new id

    def accepted(app: str, event_id: str | None = None) -> bytes:
        data = accepted_data(
            app,
            program=program,
            cohort=cohort,
            rank=ranks[app],
            brn=valid_brn(apps.index(app)),
        )
        return lifecycle_event("application.accepted", data, event_id=event_id)

    def withdrawn(app: str) -> bytes:
        data = withdrawn_data(app, program=program, cohort=cohort)
        return lifecycle_event("application.withdrawn", data)

    burst: list[tuple[str, bytes]] = []
    for app in apps:
        burst.append((app, received(program, cohort, app)))
        if app in early_withdrawals:
            burst.append((app, withdrawn(app)))
        event_id = str(uuid.uuid4())
        burst.append((app, accepted(app, event_id)))
        if app in duplicated:
            burst.append((app, accepted(app, event_id)))
            burst.append((app, accepted(app)))
    burst += [(app, withdrawn(app)) for app in sorted(late_withdrawals)]
    # Late withdrawals also twice; each stays behind its acceptance (same key, same partition).
    burst += [(app, withdrawn(app)) for app in sorted(late_withdrawals)[:3]]
    await _publish(local_stack.kafka, burst)

    clients = [httpx.AsyncClient(base_url=url, headers=ADMIN, timeout=10) for url in instances]
    try:
        live = set(apps) - early_withdrawals - late_withdrawals
        state = await eventually(
            lambda: _settled(clients[0], cohort, live), within=120, what="the burst handled"
        )
        # Staff cancel every seat holder at once, through both instances, while more startups
        # withdraw from the waitlist: the seats go down the waitlist in rank order.
        holders = sorted(e["application_id"] for e in state if e["status"] == "confirmed")
        leaving = sorted(e["application_id"] for e in state if e["status"] == "waitlisted")[:3]
        publishing = asyncio.create_task(
            _publish(local_stack.kafka, [(app, withdrawn(app)) for app in leaving])
        )
        answers = await asyncio.gather(
            *(
                clients[n % 2].post(
                    f"/enrollments/{app}/cancellation", json={"reason": "did not move in"}
                )
                for n, app in enumerate(holders)
            )
        )
        await publishing
        assert [a.status_code for a in answers] == [200] * len(holders), [a.text for a in answers]
        live -= set(holders) | set(leaving)
        final = await eventually(
            lambda: _settled(clients[1], cohort, live), within=120, what="the cancellations"
        )
    finally:
        for client in clients:
            await client.aclose()

    confirmed = {e["application_id"] for e in final if e["status"] == "confirmed"}
    waiting = {e["application_id"] for e in final if e["status"] == "waitlisted"}
    assert len(confirmed) == SEATS
    assert confirmed | waiting == live
    # The seats went to the best-ranked of those still waiting when the holders left.
    remaining_ranked = sorted(live, key=lambda a: (ranks[a] is None, ranks[a] or 0))
    assert all(
        (ranks[c] is None, ranks[c] or 0) <= (ranks[w] is None, ranks[w] or 0)
        for c in confirmed
        for w in waiting
    ), (remaining_ranked, confirmed)

    history = await read_seat_history(
        local_stack.kafka,
        cohort,
        SeatHistory(seats=SEATS, ranks=ranks),
        until_confirmed=confirmed,
        until_waiting=waiting,
    )
    assert history.max_confirmed == SEATS
    assert not history.owed_promotion
    promotions = [app for name, app in history.steps if name == "enrollment.promoted"]
    assert len(promotions) >= len(holders)
    # No acceptance seen after its withdrawal ever held a seat or a place.
    seen = {app for _, app in history.steps}
    assert not seen & early_withdrawals


async def test_kpi_reports_are_answered_and_counted(
    local_stack: StackEndpoints, instances: list[str], tmp_path: Path
) -> None:
    """A partner system reports figures on `intake.kpi-reports` and reads each answer on
    `intake.receipts`; the hub's figures follow."""
    program, cohort = unique("kpi"), unique("kpi-cohort")
    seed_catalog(
        local_stack,
        write_test_catalog(
            tmp_path, program=program, cohort=cohort, seats=1, manager_email="pm@hub.example"
        ),
    )
    enrolled, waiting = str(uuid.uuid4()), str(uuid.uuid4())
    # Fresh numbers: a quarter is reported once per startup, and the stack outlives a run.
    enrolled_brn, waiting_brn = (
        valid_brn(uuid.uuid4().int),
        valid_brn(uuid.uuid4().int),
    )
    await _publish(
        local_stack.kafka,
        [
            message
            for app, rank, number in ((enrolled, 1, enrolled_brn), (waiting, 2, waiting_brn))
            for message in (
                (app, received(program, cohort, app)),
                (
                    app,
                    lifecycle_event(
                        "application.accepted",
                        accepted_data(app, program=program, cohort=cohort, rank=rank, brn=number),
                    ),
                ),
            )
        ],
    )
    async with httpx.AsyncClient(base_url=instances[0], headers=ADMIN, timeout=10) as client:
        state = await eventually(
            lambda: _settled(client, cohort, {enrolled, waiting}), what="both startups enrolled"
        )
        # The two acceptances race (different keys, different partitions): whichever came
        # first holds the one seat, whatever its rank.
        numbers = {e["status"]: e["business_registration_number"] for e in state}
        enrolled_brn, waiting_brn = numbers["confirmed"], numbers["waitlisted"]

        def report(report_id: str, number: str, revenue: int) -> dict[str, Any]:
            return {
                "report_id": report_id,
                "business_registration_number": number,
                "cohort_code": cohort,
                "quarter": "2027-Q1",
                "revenue_krw": revenue,
                "investment_raised_krw": 2 * revenue,
                "headcount": 7,
            }

        ids = [unique("kpi-ok"), unique("kpi-stranger")]
        source = "/partners/" + unique("kpi-portal")
        first = kpi_report_event(report(ids[0], enrolled_brn, 1_000_000), source=source)
        await publish(
            local_stack.kafka,
            "intake.kpi-reports",
            [
                (ids[0].encode(), first, []),
                (ids[0].encode(), first, []),  # the very same message twice
                (
                    ids[1].encode(),
                    kpi_report_event(report(ids[1], waiting_brn, 5), source=source),
                    [],
                ),
            ],
        )
        answers = await read_until(
            local_stack.kafka,
            "intake.receipts",
            lambda r: r.key in {i.encode() for i in ids},
            count=2,
        )
        outcomes = {
            json.loads(r.value)["data"]["report_id"]: json.loads(r.value)["data"] for r in answers
        }
        assert outcomes[ids[0]]["outcome"] == "accepted"
        assert outcomes[ids[1]]["outcome"] == "refused"
        assert outcomes[ids[1]]["reasons"][0]["code"] == "not_enrolled"
        totals = (await client.get(f"/cohorts/{cohort}/outcomes")).json()
        assert totals["companies_supported"] == 1
        assert totals["cumulative_revenue_krw"] == 1_000_000
        assert totals["cumulative_investment_krw"] == 2_000_000
        assert totals["latest_headcount"] == 7


def received(program: str, cohort: str, app: str) -> bytes:
    data = received_data(app, program=program, cohort=cohort)
    return lifecycle_event("application.received", data)


async def _at_least(count: Any, wanted: int) -> bool:
    return bool(await count >= wanted)


async def _publish(kafka: KafkaConnection, messages: list[tuple[str, bytes]]) -> None:
    """Fire every message at once (keyed by application id) and wait for all acks."""
    producer = AIOKafkaProducer(**kafka.aiokafka_options(), acks="all")
    await producer.start()
    try:
        sent = [
            await producer.send("applications.lifecycle", value, key=key.encode())
            for key, value in messages
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def _settled(
    client: httpx.AsyncClient, cohort: str, live: set[str]
) -> list[dict[str, Any]] | None:
    """The cohort's enrollments once exactly the live startups hold a seat or wait."""
    response = await client.get(f"/cohorts/{cohort}/enrollments", params={"limit": 500})
    response.raise_for_status()
    enrollments: list[dict[str, Any]] = response.json()
    active = {e["application_id"] for e in enrollments if e["status"] != "cancelled"}
    return enrollments if active == live else None
