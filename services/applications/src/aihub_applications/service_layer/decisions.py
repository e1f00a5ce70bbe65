"""Staff decisions on applications (one or many, always with a reason) and withdrawals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import asyncpg

from aihub_applications.adapters import history, repository
from aihub_applications.domain.application import Application, require_rank_free
from aihub_applications.domain.status import Status
from aihub_applications.service_layer.access import require_manager, require_withdrawal_right
from aihub_applications.service_layer.events import publish
from aihub_applications.service_layer.loaders import load, review_of
from aihub_shared.contracts.applications import ApplicationDecided, ApplicationWithdrawn
from aihub_shared.identity import StaffPrincipal
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
    never have to find out which half of a list went through."""
    async with pool.acquire() as conn, conn.transaction():
        await repository.lock_cohorts_of(conn, [d.application_id for d in decisions])
        loaded: dict[uuid.UUID, Application] = {}
        for decision in sorted(decisions, key=lambda d: d.application_id):  # lock order
            loaded[decision.application_id] = application = await load(
                conn, decision.application_id
            )
            require_manager(staff, application.program_code)
        statuses: dict[uuid.UUID, Status] = {}
        for decision in sorted(decisions, key=publication_order):
            statuses[decision.application_id] = await apply_decision(
                conn,
                loaded[decision.application_id],
                decision,
                reason=reason,
                actor=staff.id,
                final_score=None,
                correlation_id=correlation_id,
            )
    return [statuses[d.application_id] for d in decisions]


def publication_order(decision: Decision) -> tuple[bool, bool, int]:
    """Acceptances by rank, unranked ones after, rejections last: the order their events reach
    programs (one cohort, one partition), so seats go to the best ranks and the rest wait."""
    return (decision.outcome != "accepted", decision.rank is None, decision.rank or 0)


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
    state = application.lifecycle(await review_of(conn, application))
    if decision.outcome == "accepted":
        new = state.accept(decision.rank)
        if decision.rank is not None:
            holder = await repository.rank_holder(conn, application.cohort_code, decision.rank)
            require_rank_free(application, decision.rank, holder)
    else:
        new = state.reject()
    await repository.set_status(
        conn, application.id, new.status, rank=decision.rank, final_score=final_score
    )
    detail = reason if decision.rank is None else f"{reason} (rank {decision.rank})"
    await history.add_history(conn, application.id, state.status, new.status, actor, detail)
    decided = ApplicationDecided(
        **application.ref,
        business_registration_number=application.business_registration_number,
        decided_by=actor,
        reason=reason,
        rank=decision.rank,
        final_score=final_score if final_score is not None else application.final_score,
    )
    await publish(
        conn,
        f"application.{decision.outcome}",
        subject=application.cohort_code,
        data=decided,
        correlation_id=correlation_id,
    )
    return new.status


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
