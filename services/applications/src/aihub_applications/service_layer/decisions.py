"""Staff decisions on applications (one or many, always with a reason) and withdrawals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import asyncpg

from aihub_applications.adapters import catalog_replica, history, repository
from aihub_applications.domain.application import Application, RankBook, require_rank_free
from aihub_applications.domain.lifecycle import Lifecycle
from aihub_applications.domain.review import CohortReview
from aihub_applications.domain.status import Status
from aihub_applications.service_layer.access import require_manager, require_withdrawal_right
from aihub_applications.service_layer.events import new_event, publish
from aihub_applications.service_layer.loaders import load, review_of
from aihub_shared.contracts.applications import ApplicationDecided, ApplicationWithdrawn
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.identity import StaffPrincipal
from aihub_shared.refusals import InvalidInput, NotFound, Refused
from aihub_shared.runtime import outbox
from aihub_shared.runtime.db import DbConnection

Outcome = Literal["accepted", "rejected"]


@dataclass(frozen=True)
class Decision:
    application_id: uuid.UUID
    outcome: Outcome
    #: Place in the final ranking (accepted only); beyond the seats it is the ranked reserve.
    rank: int | None = None


async def decide(
    pool: asyncpg.Pool,
    decision: Decision,
    *,
    reason: str,
    staff: StaffPrincipal,
    correlation_id: str | None = None,
) -> Status:
    return (
        await decide_many(
            pool, [decision], reason=reason, staff=staff, correlation_id=correlation_id
        )
    )[0]


async def decide_many(
    pool: asyncpg.Pool,
    decisions: Sequence[Decision],
    *,
    reason: str,
    staff: StaffPrincipal,
    correlation_id: str | None = None,
) -> list[Status]:
    """All or nothing, in one transaction: a single refused decision refuses the batch, so staff
    never have to find out which half of a list went through. A few statements however many
    decisions there are (issue 16): the applications are locked and read at once, checked in
    id order (404, 403), then decided in memory in `publication_order`, as `record_decisions`
    says."""
    ids = [d.application_id for d in decisions]
    if len(set(ids)) != len(ids):
        # Decided in memory from the rows as locked, a second decision would not see the first.
        raise InvalidInput([(("decisions",), "each application may appear once")])
    async with pool.acquire() as conn, conn.transaction():
        await repository.lock_cohorts_of(conn, ids)
        locked = await repository.lock_applications(conn, ids)
        for application_id in sorted(set(ids)):  # lock order, the order refusals are found in
            application = locked.get(application_id)
            if application is None:
                raise NotFound(f"no application {application_id}")
            require_manager(staff, application.program_code)
        ordered = sorted(decisions, key=publication_order)
        statuses = await record_decisions(
            conn,
            [Decided(locked[d.application_id], d, reason) for d in ordered],
            actor=staff.id,
            correlation_id=correlation_id,
        )
    by_id = {d.application_id: s for d, s in zip(ordered, statuses, strict=True)}
    return [by_id[d.application_id] for d in decisions]


def publication_order(decision: Decision) -> tuple[bool, bool, int]:
    """Acceptances by rank, unranked ones after, rejections last: the order their events reach
    programs (one cohort, one partition), so seats go to the best ranks and the rest wait."""
    return (decision.outcome != "accepted", decision.rank is None, decision.rank or 0)


@dataclass(frozen=True)
class Decided:
    """A decision to record on a locked application, with its reason for the history."""

    application: Application
    decision: Decision
    reason: str
    final_score: float | None = None


async def apply_decision(
    conn: DbConnection,
    application: Application,
    decision: Decision,
    *,
    reason: str,
    actor: str,
    final_score: float | None,
    correlation_id: str | None,
) -> Status:
    """Record one decision on a locked application; the caller holds its cohort's lock."""
    (status,) = await record_decisions(
        conn,
        [Decided(application, decision, reason, final_score)],
        actor=actor,
        correlation_id=correlation_id,
    )
    return status


async def record_decisions(
    conn: DbConnection,
    run: Sequence[Decided],
    *,
    actor: str,
    correlation_id: str | None,
) -> list[Status]:
    """Record decisions on locked applications, in the order given; the caller holds their
    cohorts' locks. The same as recording them one after the other — each sees the ranks the
    earlier ones took or gave up (`RankBook`), the first refused one raises — in a constant
    number of statements: the cohorts' rules and the ranks asked for are read once, the new
    statuses, the history and the events written once each (in the run's order)."""
    reviews = {
        code: await catalog_replica.cohort_review(conn, code)
        for code in dict.fromkeys(d.application.cohort_code for d in run)
    }
    ranks = RankBook(
        await repository.rank_holders(
            conn,
            [
                (d.application.cohort_code, d.decision.rank)
                for d in run
                if d.decision.rank is not None
            ],
        )
    )
    changes: dict[uuid.UUID, repository.StatusChange] = {}
    entries: list[history.StatusEntry] = []
    events: list[CloudEvent] = []
    for decided in run:
        try:
            new = _decided_state(decided, reviews.get(decided.application.cohort_code), ranks)
        except Refused as refused:
            if len(run) > 1:  # among many, say which one: staff must find it to mend the list
                refused.args = (f"application {decided.application.id}: {refused}",)
            raise
        application, decision = decided.application, decided.decision
        if decision.rank is not None:
            ranks.give(application, decision.rank)
        changes[application.id] = _folded(changes.get(application.id), decided, new.status)
        detail = (
            decided.reason if decision.rank is None else f"{decided.reason} (rank {decision.rank})"
        )
        entries.append(
            history.StatusEntry(application.id, application.status, new.status, actor, detail)
        )
        events.append(_decided_event(decided, actor, correlation_id))
    # An application's old rank may be the one another takes: give them up first (the unique
    # index is checked row by row within the one UPDATE).
    applications = {d.application.id: d.application for d in run}.values()
    await repository.release_ranks(
        conn,
        [
            a.id
            for a in applications
            if a.rank is not None and changes[a.id].rank not in (None, a.rank)
        ],
    )
    await repository.set_statuses(conn, list(changes.values()))
    await history.add_status_history(conn, entries)
    await outbox.add_events(conn, events)
    return [e.to_status for e in entries]


def _decided_state(decided: Decided, review: CohortReview | None, ranks: RankBook) -> Lifecycle:
    """The application's state once decided, or the refusal (404, 409) as one by one."""
    application, decision = decided.application, decided.decision
    if review is None:  # stored applications always had their cohort in the replica
        raise NotFound(f"no cohort {application.cohort_code} in the catalog replica")
    state = application.lifecycle(review)
    if decision.outcome != "accepted":
        return state.reject()
    new = state.accept(decision.rank)
    if decision.rank is not None:
        holder = ranks.holder(application.cohort_code, decision.rank)
        require_rank_free(application, decision.rank, holder)
    return new


def _folded(
    earlier: repository.StatusChange | None, decided: Decided, status: Status
) -> repository.StatusChange:
    """One row's change after this decision, on top of an earlier one of the run (if any): a
    rank or score left unset keeps the one set before, as the stored row would."""
    rank, score = decided.decision.rank, decided.final_score
    return repository.StatusChange(
        decided.application.id,
        status,
        rank if rank is not None or earlier is None else earlier.rank,
        score if score is not None or earlier is None else earlier.final_score,
    )


def _decided_event(decided: Decided, actor: str, correlation_id: str | None) -> CloudEvent:
    application, decision = decided.application, decided.decision
    data = ApplicationDecided(
        **application.ref,
        business_registration_number=application.business_registration_number,
        decided_by=actor,
        reason=decided.reason,
        rank=decision.rank,
        final_score=(
            decided.final_score if decided.final_score is not None else application.final_score
        ),
    )
    return new_event(
        f"application.{decision.outcome}",
        subject=application.cohort_code,
        data=data,
        correlation_id=correlation_id,
    )


async def withdraw(
    pool: asyncpg.Pool,
    application_id: uuid.UUID,
    *,
    reason: str,
    staff: StaffPrincipal,
    correlation_id: str | None = None,
) -> Status:
    """The applicant leaves, at any stage before an end; a seat it held is freed by programs."""
    async with pool.acquire() as conn, conn.transaction():
        application = await load(conn, application_id)
        require_withdrawal_right(staff, application.program_code)
        state = application.lifecycle(await review_of(conn, application))
        new = state.withdraw()
        await repository.set_status(conn, application_id, new.status)
        await history.add_history(conn, application_id, state.status, new.status, staff.id, reason)
        withdrawn = ApplicationWithdrawn(**application.ref, withdrawn_by=staff.id, reason=reason)
        await publish(
            conn,
            "application.withdrawn",
            subject=application.cohort_code,
            data=withdrawn,
            correlation_id=correlation_id,
        )
    return new.status
