"""SQL for an application's history: every change, with actor, time, reason, action and stage."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aihub_applications.domain.application import Application
from aihub_applications.domain.status import Status
from aihub_shared.runtime.db import DbConnection


@dataclass(frozen=True)
class HistoryEntry:
    action: str
    stage_code: str | None
    from_status: str | None
    to_status: str
    actor: str
    reason: str
    at: datetime
    #: Of an assignment (`action` "assigned"): who was assigned, and whom they replace.
    reviewer_id: str | None = None
    replaced_reviewer_id: str | None = None

    def shown(self) -> dict[str, Any]:
        """The entry as the API shows it (who was assigned is said by `reason`)."""
        return {
            "action": self.action,
            "stage_code": self.stage_code,
            "from_status": self.from_status,
            "to_status": self.to_status,
            "actor": self.actor,
            "reason": self.reason,
            "at": self.at,
        }


async def add_history(
    conn: DbConnection,
    application_id: uuid.UUID,
    from_status: Status | None,
    to_status: Status,
    actor: str,
    reason: str,
    *,
    action: str = "status",
    stage_code: str | None = None,
    reviewer_id: str | None = None,
    replaced_reviewer_id: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO application_history (application_id, from_status, to_status, actor, reason,"
        " action, stage_code, reviewer_id, replaced_reviewer_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        application_id,
        from_status.value if from_status else None,
        to_status.value,
        actor,
        reason,
        action,
        stage_code,
        reviewer_id,
        replaced_reviewer_id,
    )


@dataclass(frozen=True)
class StatusEntry:
    """A status change of one application, as its history records it."""

    application_id: uuid.UUID
    from_status: Status | None
    to_status: Status
    actor: str
    reason: str
    stage_code: str | None = None


async def add_status_history(conn: DbConnection, entries: Sequence[StatusEntry]) -> None:
    """Many status entries in one statement, recorded (numbered) in the order given."""
    if not entries:
        return
    await conn.execute(
        "INSERT INTO application_history (application_id, from_status, to_status, actor, reason,"
        " action, stage_code) SELECT application_id, from_status, to_status, actor, reason,"
        " 'status', stage_code FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[],"
        " $5::text[], $6::text[]) WITH ORDINALITY"
        " AS e(application_id, from_status, to_status, actor, reason, stage_code, n) ORDER BY n",
        [e.application_id for e in entries],
        [e.from_status.value if e.from_status else None for e in entries],
        [e.to_status.value for e in entries],
        [e.actor for e in entries],
        [e.reason for e in entries],
        [e.stage_code for e in entries],
    )


async def add_first_history(
    conn: DbConnection, entries: Sequence[tuple[uuid.UUID, Status, str, str, str | None]]
) -> None:
    """The first entry of each new application: (application, status, actor, reason, stage)."""
    await add_status_history(
        conn,
        [
            StatusEntry(a, None, status, actor, reason, stage)
            for a, status, actor, reason, stage in entries
        ],
    )


async def add_note(
    conn: DbConnection,
    application: Application,
    actor: str,
    reason: str,
    *,
    action: str,
    stage_code: str,
    reviewer_id: str | None = None,
    replaced_reviewer_id: str | None = None,
) -> None:
    """A history entry for a change that leaves the status as it is (assignment, scores, ...).
    An assignment names its reviewer (and whom they replace) in columns: what a reviewer may
    see of it is decided on them, never on the text."""
    await add_history(
        conn,
        application.id,
        application.status,
        application.status,
        actor,
        reason,
        action=action,
        stage_code=stage_code,
        reviewer_id=reviewer_id,
        replaced_reviewer_id=replaced_reviewer_id,
    )


async def history_of(conn: DbConnection, application_id: uuid.UUID) -> list[HistoryEntry]:
    rows = await conn.fetch(
        "SELECT action, stage_code, from_status, to_status, actor, reason, at, reviewer_id,"
        " replaced_reviewer_id FROM application_history WHERE application_id = $1 ORDER BY id",
        application_id,
    )
    return [HistoryEntry(**dict(r)) for r in rows]
