"""Every path that moves a seat, all at once on one cohort, on the real Postgres: acceptances
(and re-decisions with another rank), withdrawals (before and after their acceptance), staff
cancellations and signatures, agreements given up (twice at once), passing deadlines with two
deadline workers, and seats lowered and raised. Then the cohort's whole published history is
replayed step by step: a seat is only given while one is free, the events' counts agree with the
replay, a freed seat goes at once to the best-ranked waiting startup, and nobody waits while a
seat is free."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest

from aihub_programs.service_layer import deadlines, enrollment
from aihub_programs.service_layer.catalog import update_cohort
from aihub_programs.service_layer.enrollment import EnrollmentConflict, EnrollmentNotFound
from services.programs.tests import support
from services.programs.tests.support import ADMIN_STAFF, cohort_spec, make_cohort, queued

pytestmark = pytest.mark.integration

COHORT = "cv-2027-1"
FINAL_SEATS = 4  # no change below ever sets more, so confirmed ≤ seats holds at the end too
STAFF_CANCELLED = f"cancelled by {ADMIN_STAFF.id}: "


@dataclass
class Replay:
    """The cohort's enrollment events in publication order, each step checked."""

    seats: int
    #: Each startup's rank as its first enrollment event says (a re-decision changes nothing).
    ranks: dict[str, int | None] = field(default_factory=dict)
    confirmed: set[str] = field(default_factory=set)
    waiting: set[str] = field(default_factory=set)
    owed_promotion: bool = False
    #: The kinds of step seen (cancellations by their cause): proof every path was taken.
    kinds: set[str] = field(default_factory=set)

    def key(self, app: str) -> tuple[bool, int]:
        rank = self.ranks[app]
        return (rank is None, rank or 0)

    def apply(self, name: str, data: dict[str, Any]) -> None:
        app = data["application_id"]
        assert self.ranks.setdefault(app, data["rank"]) == data["rank"], "the rank changed"
        # A staff cancellation is recorded after who made it: its cause is what they said.
        said = (data.get("reason") or "").removeprefix(STAFF_CANCELLED)
        cause = said.split(":")[0]
        self.kinds.add(f"{name} {cause}".strip())
        if self.owed_promotion:
            # A seat was freed (or added) while someone waited: the same step fills it.
            assert name == "enrollment.promoted", (name, app)
        self.seats = data["seats"]
        if name in ("enrollment.confirmed", "enrollment.promoted"):
            assert data["seats_taken"] <= data["seats"], "a seat given while none was free"
        if name == "enrollment.confirmed":
            assert not self.waiting or len(self.confirmed) >= self.seats, "overtook the waitlist"
            self.confirmed.add(app)
        elif name == "enrollment.waitlisted":
            assert len(self.confirmed) >= self.seats, "waitlisted while a seat was free"
            self.waiting.add(app)
        elif name == "enrollment.promoted":
            assert app in self.waiting
            assert self.key(app) == min(self.key(w) for w in self.waiting), "not the best rank"
            self.waiting.remove(app)
            self.confirmed.add(app)
        elif name == "enrollment.cancelled":
            self.confirmed.discard(app)
            self.waiting.discard(app)
        assert data["seats_taken"] == len(self.confirmed), (name, app)
        self.owed_promotion = bool(self.waiting) and len(self.confirmed) < self.seats


@dataclass
class SeatPaths:
    """Every way a seat moves, as the consumer, staff and the deadline workers move it."""

    db: asyncpg.Pool
    #: Each startup's rank in its first acceptance.
    ranks: dict[str, int | None]

    async def accept(self, app: str, rank: int | None = None) -> None:
        await support.accept(self.db, app, rank or self.ranks[app])

    async def withdraw(self, app: str) -> None:
        await support.withdraw(self.db, app)

    async def cancel(self, app: str) -> None:
        await self._staff(
            enrollment.cancel_enrollment(self.db, app, reason="left", staff=ADMIN_STAFF)
        )

    async def give_up(self, app: str) -> None:
        await self._staff(
            enrollment.give_up_agreement(self.db, app, reason="moved", staff=ADMIN_STAFF)
        )

    async def sign(self, app: str) -> None:
        await self._staff(enrollment.sign_agreement(self.db, app, staff=ADMIN_STAFF))

    async def deadline_passes(self, app: str) -> None:
        await self.db.execute(
            "UPDATE enrollments SET agreement_due_at = now() - interval '1 second'"
            " WHERE application_id = $1 AND status = 'confirmed' AND agreement_signed_at IS NULL",
            app,
        )
        # Two instances' deadline workers notice it at the same moment.
        await asyncio.gather(
            deadlines.expire_due_agreements(self.db), deadlines.expire_due_agreements(self.db)
        )

    async def resize(self, seats: int) -> None:
        await update_cohort(self.db, COHORT, cohort_spec(seats=seats), staff=ADMIN_STAFF)

    async def _staff(self, action: Awaitable[Any]) -> None:
        # Not enrolled yet, already gone, or not holding a seat: a 404/409 over HTTP.
        with contextlib.suppress(EnrollmentConflict, EnrollmentNotFound):
            await action


@pytest.mark.parametrize("seed", [11, 12, 13])
async def test_every_path_at_once_keeps_seats_exact(db: asyncpg.Pool, seed: int) -> None:
    await make_cohort(db, COHORT, seats=3)
    rng = random.Random(seed)  # noqa: S311 - a reproducible shuffle, not security
    apps = [f"startup-{n:02d}" for n in range(30)]
    ranks: dict[str, int | None] = dict(zip(apps, rng.sample(range(1, 31), 30), strict=True))
    for app in apps[-3:]:
        ranks[app] = None

    paths = SeatPaths(db, ranks)
    accept, withdraw, cancel, sign = paths.accept, paths.withdraw, paths.cancel, paths.sign
    deadline_passes, resize = paths.deadline_passes, paths.resize

    # Wave 1: the acceptances arrive (a few withdrawals overtake theirs) while seats change.
    leaving = set(rng.sample(apps, 3))
    first_wave: list[Awaitable[Any]] = [
        *(accept(app) for app in apps),
        # Re-decisions with another rank (and new event ids): whichever comes first counts.
        *(accept(app, rank=100 + n) for n, app in enumerate(rng.sample(apps, 5))),
        *(withdraw(app) for app in leaving),
        resize(1),
        resize(FINAL_SEATS),
    ]
    rng.shuffle(first_wave)
    await asyncio.gather(*first_wave)
    await resize(FINAL_SEATS)  # so that wave 2 has four seat holders to act on
    # Wave 2: seat holders and waiting startups leave, sign, are cancelled or miss their
    # deadline, while the seats change again.
    rows = await db.fetch("SELECT application_id, status FROM enrollments ORDER BY application_id")
    holders = [r["application_id"] for r in rows if r["status"] == "confirmed"]
    waiters = [r["application_id"] for r in rows if r["status"] == "waitlisted"]
    rng.shuffle(holders)
    rng.shuffle(waiters)
    leaving |= {*holders[1:3], *waiters[2:4]}
    await sign(holders[2])
    everything: list[Awaitable[Any]] = [
        *(cancel(app) for app in [*holders[:1], *waiters[:2]]),
        *(withdraw(app) for app in [*holders[1:2], *waiters[2:4]]),
        # 협약 포기 of a holder that signed, recorded twice at once (two instances, two
        # clicks) while everything else happens: it gives up once.
        *(paths.give_up(app) for app in holders[2:3] * 2),
        *(deadline_passes(app) for app in holders[3:]),
        resize(2),
        resize(3),
    ]
    rng.shuffle(everything)
    await asyncio.gather(*everything)
    await deadlines.expire_due_agreements(db)  # deadlines that passed after the last run
    await resize(FINAL_SEATS)

    replay = await _replayed(db, seats=3)
    assert not replay.owed_promotion
    assert replay.kinds >= {
        "enrollment.confirmed",
        "enrollment.waitlisted",
        "enrollment.promoted",
        "enrollment.agreement_signed",
        "enrollment.cancelled left",
        "enrollment.cancelled withdrawn by the applicant",
        "enrollment.cancelled agreement deadline passed",
        "enrollment.cancelled agreement given up",
    }, replay.kinds
    given_up = [e for e in await queued(db) if (e["data"].get("cause") == "agreement_given_up")]
    assert [e["data"]["application_id"] for e in given_up] == holders[2:3]
    await _assert_stored_as_replayed(db, replay)
    assert len(replay.confirmed) <= FINAL_SEATS
    assert len(replay.confirmed) == FINAL_SEATS or not replay.waiting
    assert not replay.confirmed & set(leaving)


async def _replayed(db: asyncpg.Pool, *, seats: int) -> Replay:
    """The cohort's published enrollment history, replayed (and checked) step by step."""
    replay = Replay(seats=seats)
    for published in await queued(db):
        if published["name"].startswith("enrollment.") and published["key"] == COHORT:
            replay.apply(published["name"], published["data"])
    return replay


async def _assert_stored_as_replayed(db: asyncpg.Pool, replay: Replay) -> None:
    rows = await db.fetch(
        "SELECT application_id, status FROM enrollments WHERE status <> 'cancelled'"
    )
    stored = {r["application_id"]: r["status"] for r in rows}
    assert {a for a, s in stored.items() if s == "confirmed"} == replay.confirmed
    assert {a for a, s in stored.items() if s == "waitlisted"} == replay.waiting
