"""Staff decisions on applications (one or many, always with a reason) and withdrawals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import asyncpg

from aihub_applications.adapters import repository
from aihub_applications.domain.lifecycle import Lifecycle
from aihub_applications.domain.review import CohortReview
from aihub_applications.domain.status import RuleBroken, Status
from aihub_applications.service_layer.access import require_manager, require_withdrawal_right
from aihub_applications.service_layer.errors import NotFound
from aihub_applications.service_layer.events import publish
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
        rows = {}
        for decision in sorted(decisions, key=lambda d: d.application_id):  # lock order
            rows[decision.application_id] = row = await load(conn, decision.application_id)
            require_manager(staff, row["program_code"])
        statuses = []
        for decision in sorted(decisions, key=publication_order):
            statuses.append(
                (
                    decision.application_id,
                    await apply_decision(
                        conn,
                        rows[decision.application_id],
                        decision,
                        reason=reason,
                        actor=staff.id,
                        final_score=None,
                        correlation_id=correlation_id,
                    ),
                )
            )
    by_id = dict(statuses)
    return [by_id[d.application_id] for d in decisions]


def publication_order(decision: Decision) -> tuple[bool, bool, int]:
    """Acceptances by rank, unranked ones after, rejections last: the order their events reach
    programs (one cohort, one partition), so seats go to the best ranks and the rest wait."""
    return (decision.outcome != "accepted", decision.rank is None, decision.rank or 0)


async def load(conn: DbConnection, application_id: uuid.UUID) -> asyncpg.Record:
    row = await repository.lock_application(conn, application_id)
    if row is None:
        raise NotFound(f"no application {application_id}")
    return row


async def review_of(conn: DbConnection, row: asyncpg.Record) -> CohortReview:
    review = await repository.cohort_review(conn, row["cohort_code"])
    if review is None:  # stored applications always had their cohort in the replica
        raise NotFound(f"no cohort {row['cohort_code']} in the catalog replica")
    return review


def lifecycle_of(row: asyncpg.Record, review: CohortReview) -> Lifecycle:
    index = review.stage_index(row["stage_code"]) if row["stage_code"] else 0
    return Lifecycle(
        status=Status(row["status"]),
        stage_index=index or 0,
        stage_count=len(review.stages),
        rank=row["rank"],
    )


async def apply_decision(
    conn: DbConnection,
    row: asyncpg.Record,
    decision: Decision,
    *,
    reason: str,
    actor: str,
    final_score: float | None,
    correlation_id: str | None,
) -> Status:
    """Record one decision on a locked application; the caller holds its cohort's lock."""
    review = await review_of(conn, row)
    state = lifecycle_of(row, review)
    if decision.outcome == "accepted":
        new = state.accept(decision.rank)
        if decision.rank is not None:
            # The caller holds the cohort lock: two committees cannot hand out one rank at once.
            holder = await repository.rank_holder(conn, row["cohort_code"], decision.rank)
            if holder is not None and holder != str(row["id"]):
                raise RuleBroken(
                    f"rank {decision.rank} in cohort {row['cohort_code']} is already held by"
                    f" application {holder}"
                )
    else:
        new = state.reject()
    await repository.set_status(
        conn, row["id"], new.status, rank=decision.rank, final_score=final_score
    )
    detail = reason if decision.rank is None else f"{reason} (rank {decision.rank})"
    await repository.add_history(conn, row["id"], state.status, new.status, actor, detail)
    decided = ApplicationDecided(
        application_id=str(row["id"]),
        program_code=row["program_code"],
        cohort_code=row["cohort_code"],
        startup_name=row["startup_name"],
        business_registration_number=row["business_registration_number"],
        decided_by=actor,
        reason=reason,
        rank=decision.rank,
        final_score=final_score if final_score is not None else row["final_score"],
    )
    await publish(
        conn,
        f"application.{decision.outcome}",
        subject=row["cohort_code"],
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
        row = await load(conn, application_id)
        require_withdrawal_right(staff, row["program_code"])
        state = lifecycle_of(row, await review_of(conn, row))
        new = state.withdraw()
        await repository.set_status(conn, application_id, new.status)
        await repository.add_history(
            conn, application_id, state.status, new.status, staff.id, reason
        )
        withdrawn = ApplicationWithdrawn(
            application_id=str(application_id),
            program_code=row["program_code"],
            cohort_code=row["cohort_code"],
            startup_name=row["startup_name"],
            withdrawn_by=staff.id,
            reason=reason,
        )
        await publish(
            conn,
            "application.withdrawn",
            subject=row["cohort_code"],
            data=withdrawn,
            correlation_id=correlation_id,
        )
    return new.status
