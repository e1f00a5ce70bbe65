"""Bulk decisions decided in memory and written set-based (issue 16) have exactly the effect of
deciding the same decisions one at a time in publication order: the same statuses, ranks,
history and events in the same order, the same first refusal — and a refused request records
nothing. On the real Postgres; the stored rows are set directly, so that every rank situation
the one-by-one path could meet is met (a rank held by an application still in review, too)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Sequence
from typing import Any

import asyncpg
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aihub_applications.service_layer.decisions import (
    Decision,
    Outcome,
    decide,
    decide_many,
    publication_order,
)
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.refusals import Refused
from aihub_shared.runtime.db import create_pool
from services.applications.tests.support import Seeded, Stored, seeded

pytestmark = pytest.mark.integration

ADMIN = StaffPrincipal("bulk-admin@hub.example", "Admin", Role.ADMIN)
#: A decision on the n-th stored application: (n, outcome, rank).
Wanted = tuple[int, Outcome, int | None]


def decisions(seeds: Seeded, wanted: Sequence[Wanted]) -> list[Decision]:
    return [Decision(seeds.ids[n], outcome, rank) for n, outcome, rank in wanted]


async def snapshot(pool: asyncpg.Pool, seeds: Seeded) -> dict[str, Any]:
    """What the decisions stored: rows, history and queued events, in their order."""
    rows = await pool.fetch(
        "SELECT status, rank, final_score FROM applications WHERE id = ANY($1)"
        " ORDER BY array_position($1, id)",
        seeds.ids,
    )
    history = await pool.fetch(
        "SELECT application_id::text, from_status, to_status, actor, reason"
        " FROM application_history WHERE application_id = ANY($1) ORDER BY id",
        seeds.ids,
    )
    events = await pool.fetch(
        "SELECT event_type, key, value FROM outbox WHERE key = ANY($1) ORDER BY id",
        [code.encode() for code in seeds.codes],
    )
    return {
        "rows": [tuple(r) for r in rows],
        "history": [seeds.shown(json.dumps(list(h))) for h in history],
        "events": [
            (e["event_type"], seeds.shown(e["key"].decode()), seeds.shown(_data(e["value"])))
            for e in events
        ],
    }


def _data(value: bytes) -> str:
    return json.dumps(json.loads(value)["data"], sort_keys=True)


async def refusal(seeds: Seeded, call: Awaitable[object]) -> tuple[str, str] | None:
    try:
        await call
    except Refused as refused:
        return type(refused).__name__, seeds.shown(str(refused))
    return None


async def bulk(pool: asyncpg.Pool, seeds: Seeded, wanted: Sequence[Wanted]) -> tuple[str, str]:
    """The request's refusal; it must be refused."""
    refused = await refusal(
        seeds, decide_many(pool, decisions(seeds, wanted), reason="committee", staff=ADMIN)
    )
    assert refused is not None
    return refused


async def test_a_rank_given_up_earlier_in_the_request_is_free_for_a_later_decision(
    applications_pool: asyncpg.Pool,
) -> None:
    seeds = await seeded(applications_pool, [(0, "received", 3), (0, "received", None)])
    wanted = decisions(seeds, [(1, "accepted", 3), (0, "accepted", 1)])
    statuses = await decide_many(applications_pool, wanted, reason="committee", staff=ADMIN)
    assert statuses == ["accepted", "accepted"]
    after = await snapshot(applications_pool, seeds)
    assert after["rows"] == [("accepted", 1, 0.0), ("accepted", 3, 1.0)]
    assert [json.loads(h)[0] for h in after["history"]] == ["#0", "#1"]  # rank 1, then rank 3
    assert [json.loads(e[2])["rank"] for e in after["events"]] == [1, 3]


RECEIVED: list[Stored] = [(0, "received", None), (0, "received", None)]


@pytest.mark.parametrize(
    ("stored", "wanted"),
    [
        # A swap: rank 1 is decided first, while #0 still holds it.
        ([(0, "received", 1), (0, "received", 2)], [(0, "accepted", 2), (1, "accepted", 1)]),
        # One rank asked twice (in process; the API refuses such a request): the first takes it.
        (RECEIVED, [(0, "accepted", 1), (1, "accepted", 1)]),
        # A rejection keeps the stored rank, and acceptances are decided before rejections.
        ([(0, "received", 2), (0, "received", None)], [(0, "rejected", None), (1, "accepted", 2)]),
    ],
)
async def test_a_rank_held_when_its_turn_comes_refuses_the_whole_request(
    applications_pool: asyncpg.Pool, stored: list[Stored], wanted: list[Wanted]
) -> None:
    seeds = await seeded(applications_pool, stored)
    before = await snapshot(applications_pool, seeds)
    kind, message = await bulk(applications_pool, seeds, wanted)
    assert kind == "RuleBroken"
    assert message.startswith("application #1: ")  # the one refused, named
    assert message.endswith("in cohort C0 is already held by application #0")
    assert await snapshot(applications_pool, seeds) == before


async def test_a_refused_decision_in_the_middle_records_nothing_and_queues_no_event(
    applications_pool: asyncpg.Pool,
) -> None:
    seeds = await seeded(
        applications_pool, [(0, "received", None), (0, "accepted", 7), (0, "received", None)]
    )
    before = await snapshot(applications_pool, seeds)
    wanted: list[Wanted] = [(2, "rejected", None), (1, "accepted", 2), (0, "accepted", 1)]
    assert await bulk(applications_pool, seeds, wanted) == (
        "IllegalTransition",
        "application #1: an application that is accepted cannot become accepted"
        " (allowed next: cancelled, enrolled, waitlisted, withdrawn)",
    )
    stranger = Seeded(seeds.codes, [seeds.ids[0], uuid.uuid4()])  # #1 was never stored
    unknown: list[Wanted] = [(0, "accepted", 1), (1, "rejected", None)]
    assert await bulk(applications_pool, stranger, unknown) == ("NotFound", "no application #1")
    assert await snapshot(applications_pool, seeds) == before
    assert before["events"] == []


async def test_an_application_twice_in_one_request_is_refused_before_anything_is_recorded(
    applications_pool: asyncpg.Pool,
) -> None:
    """Decided in memory from the rows as locked, a second decision on one application would not
    see the first (one at a time, it would find the application decided already)."""
    seeds = await seeded(applications_pool, RECEIVED)
    before = await snapshot(applications_pool, seeds)
    twice: list[Wanted] = [(0, "accepted", 1), (1, "rejected", None), (0, "rejected", None)]
    assert await bulk(applications_pool, seeds, twice) == (
        "InvalidInput",
        "decisions: each application may appear once",
    )
    assert await snapshot(applications_pool, seeds) == before


async def test_events_and_history_follow_the_publication_order_across_two_cohorts(
    applications_pool: asyncpg.Pool,
) -> None:
    stored: list[Stored] = [(0, "received", None), (1, "received", None), (0, "received", None)]
    stored += [(1, "received", None), (0, "received", None)]
    seeds = await seeded(applications_pool, stored)
    wanted: list[Wanted] = [(0, "rejected", None), (1, "accepted", None), (2, "accepted", 2)]
    wanted += [(3, "accepted", 1), (4, "accepted", 1)]
    statuses = await decide_many(
        applications_pool, decisions(seeds, wanted), reason="committee", staff=ADMIN
    )
    assert statuses == ["rejected", "accepted", "accepted", "accepted", "accepted"]
    after = await snapshot(applications_pool, seeds)
    # Ranked acceptances by rank (each cohort has its own rank 1), unranked, rejections last.
    order = [(3, "C1", 1), (4, "C0", 1), (2, "C0", 2), (1, "C1", None), (0, "C0", None)]
    assert [
        (json.loads(data)["application_id"], key, json.loads(data)["rank"])
        for _, key, data in after["events"]
    ] == [(f"#{n}", code, rank) for n, code, rank in order]
    assert [json.loads(h)[0] for h in after["history"]] == [f"#{n}" for n, _, _ in order]
    assert [r[1] for r in after["rows"]] == [None, None, 2, 1, 1]


OUTCOMES: st.SearchStrategy[Outcome] = st.sampled_from(["accepted", "accepted", "rejected"])
RANKS = st.none() | st.integers(1, 3)


def one_holder_per_rank(stored: list[Stored]) -> list[Stored]:
    """As the unique index keeps them: a later application repeating a rank gets none."""
    seen: set[tuple[int, int]] = set()
    kept: list[Stored] = []
    for cohort, status, rank in stored:
        if rank is not None and (cohort, rank) in seen:
            rank = None
        if rank is not None:
            seen.add((cohort, rank))
        kept.append((cohort, status, rank))
    return kept


def only_acceptances_ranked(wanted: Wanted) -> Wanted:
    """As the API takes them: a rejection carries no rank."""
    n, outcome, rank = wanted
    return n, outcome, rank if outcome == "accepted" else None


@st.composite
def requests(draw: st.DrawFn) -> tuple[list[Stored], list[Wanted]]:
    """Up to four stored applications in two cohorts, and a request deciding some of them."""
    statuses = st.sampled_from(["received", "received", "received", "accepted", "rejected"])
    cohorts = st.sampled_from([0, 0, 1])
    stored = one_holder_per_rank(
        draw(st.lists(st.tuples(cohorts, statuses, RANKS), min_size=1, max_size=4))
    )
    decision = st.tuples(st.integers(0, len(stored) - 1), OUTCOMES, RANKS)
    wanted = draw(
        st.lists(
            decision.map(only_acceptances_ranked),
            min_size=1,
            max_size=len(stored),
            unique_by=lambda w: w[0],
        )
    )
    return stored, wanted


async def bulk_equals_one_by_one(dsn: str, stored: list[Stored], wanted: list[Wanted]) -> None:
    pool = await create_pool(dsn, max_size=2)
    try:
        together, alone = await seeded(pool, stored), await seeded(pool, stored)
        before = await snapshot(pool, together)
        refused = await refusal(
            together,
            decide_many(pool, decisions(together, wanted), reason="committee", staff=ADMIN),
        )
        refused_alone = None
        for decision in sorted(decisions(alone, wanted), key=publication_order):
            refused_alone = await refusal(
                alone, decide(pool, decision, reason="committee", staff=ADMIN)
            )
            if refused_alone is not None:
                if len(wanted) > 1:  # among many, the refusal names its application
                    kind, reason = refused_alone
                    named = alone.shown(str(decision.application_id))
                    refused_alone = (kind, f"application {named}: {reason}")
                break
        assert refused == refused_alone
        expected = before if refused else await snapshot(pool, alone)
        assert await snapshot(pool, together) == expected
    finally:
        await pool.close()


@settings(max_examples=60, deadline=None)
@given(request=requests())
# The rank one gives up for a better one, taken by another later in the request; a swap.
@example(
    request=([(0, "received", 3), (0, "received", None)], [(1, "accepted", 3), (0, "accepted", 1)])
)
@example(
    request=([(0, "received", 1), (0, "received", 2)], [(0, "accepted", 2), (1, "accepted", 1)])
)
def test_a_bulk_request_has_the_effect_of_its_decisions_one_at_a_time(
    applications_dsn: str,
    applications_pool: asyncpg.Pool,
    request: tuple[list[Stored], list[Wanted]],
) -> None:
    # Each example on a loop of its own: Hypothesis drives a plain function.
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(bulk_equals_one_by_one(applications_dsn, *request))
    finally:
        loop.close()
