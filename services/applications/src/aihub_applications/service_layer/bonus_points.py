"""가점 (bonus points): a manager grants or takes back one of the cohort's bonus items for an
application in review, with a reason; each change is a history entry and an event. Selection
adds the capped total to the final score (`domain.bonus`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from aihub_applications.adapters import bonus_grants, history
from aihub_applications.domain import bonus
from aihub_applications.domain.application import Application
from aihub_applications.domain.review import CohortReview
from aihub_applications.domain.status import RuleBroken, Status
from aihub_applications.service_layer.access import require_manager
from aihub_applications.service_layer.events import publish
from aihub_applications.service_layer.loaders import load, review_of
from aihub_shared.contracts.applications import BonusPointsChanged
from aihub_shared.identity import StaffPrincipal
from aihub_shared.runtime.db import DbConnection


@dataclass(frozen=True)
class BonusState:
    """An application's granted bonus items and what they add to its final score."""

    granted: list[str]
    total: float


async def change_bonus(
    pool: asyncpg.Pool,
    application_id: uuid.UUID,
    item_code: str,
    reason: str,
    *,
    granted: bool,
    staff: StaffPrincipal,
    correlation_id: str | None = None,
) -> BonusState:
    """Grant (`granted`) or take back one bonus item. Doing what is already done changes
    nothing and publishes nothing (a retried request is safe)."""
    async with pool.acquire() as conn, conn.transaction():
        application = await load(conn, application_id)
        require_manager(staff, application.program_code)
        review = await review_of(conn, application)
        item = bonus.item_of(review.bonus_items, item_code)
        if application.status is not Status.RECEIVED:
            raise RuleBroken(
                f"bonus points change only while the application is in review;"
                f" it is {application.status.value}"
            )
        if granted:
            changed = await bonus_grants.grant(conn, application.id, item.code, reason, staff.id)
        else:
            changed = await bonus_grants.revoke(conn, application.id, item.code)
        state = (await bonus_states(conn, review, [application]))[str(application.id)]
        if changed:
            verb = "granted" if granted else "revoked"
            stage = review.stages[application.lifecycle(review).stage_index]
            await history.add_note(
                conn,
                application,
                staff.id,
                f"{reason}: bonus {item.code} (+{item.points:g}) {verb}, total {state.total:g}",
                action=f"bonus_{verb}",
                stage_code=stage.code,
            )
            event = BonusPointsChanged(
                **application.ref,
                item_code=item.code,
                points=item.points,
                total=state.total,
                reason=reason,
                changed_by=staff.id,
            )
            await publish(
                conn,
                f"bonus_points.{verb}",
                subject=application.cohort_code,
                data=event,
                correlation_id=correlation_id,
            )
        return state


async def capped_totals(
    conn: DbConnection, review: CohortReview, applications: Sequence[Application]
) -> dict[str, float]:
    """Each application's bonus (capped), by application id."""
    states = await bonus_states(conn, review, applications)
    return {key: state.total for key, state in states.items()}


async def bonus_states(
    conn: DbConnection, review: CohortReview, applications: Sequence[Application]
) -> dict[str, BonusState]:
    granted = await bonus_grants.granted_codes(conn, [a.id for a in applications])
    return {
        str(a.id): BonusState(
            granted.get(str(a.id), []),
            bonus.capped_total(review.bonus_items, granted.get(str(a.id), []), review.bonus_cap),
        )
        for a in applications
    }
