"""Staff decisions on an application."""

from __future__ import annotations

import uuid
from typing import Literal

import asyncpg

from aihub_applications.adapters import repository
from aihub_applications.domain.status import Status, transition
from aihub_applications.service_layer.events import new_event
from aihub_shared.contracts.applications import ApplicationDecided
from aihub_shared.runtime import outbox


class ApplicationNotFound(LookupError):
    pass


async def decide(
    pool: asyncpg.Pool,
    application_id: uuid.UUID,
    *,
    outcome: Literal["accepted", "rejected"],
    reason: str,
    actor: str,
    correlation_id: str | None = None,
) -> Status:
    """Record the decision and its event in one transaction; IllegalTransition if not allowed."""
    target = Status(outcome)
    async with pool.acquire() as conn, conn.transaction():
        row = await repository.lock_application(conn, application_id)
        if row is None:
            raise ApplicationNotFound(str(application_id))
        current = Status(row["status"])
        transition(current, target)
        await repository.set_status(conn, application_id, target)
        await repository.add_history(conn, application_id, current, target, actor, reason)
        decided = ApplicationDecided(
            application_id=str(application_id),
            program_code=row["program_code"],
            cohort_code=row["cohort_code"],
            startup_name=row["startup_name"],
            business_registration_number=row["business_registration_number"],
            decided_by=actor,
            reason=reason,
        )
        await outbox.add_events(
            conn,
            [
                new_event(
                    f"application.{outcome}",
                    subject=str(application_id),
                    data=decided,
                    correlation_id=correlation_id,
                )
            ],
        )
    return target
