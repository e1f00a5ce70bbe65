"""이의제기 (appeals): staff (over HTTP) or a publishing system (over Kafka,
`selection_requests.py`) file an applicant's appeal of the rejection of their application in a
stage, within the stage's appeal window, once per decision; a manager upholds it — the
application is back in review as a manual advance puts it there — or dismisses it, with a
reason. An applicant who asks is told the stage's figures the cohort discloses (computed where
every stage result is, `stage_scores`). Each step is a history entry and an event."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg

from aihub_applications.adapters import appeals, history, repository
from aihub_applications.domain import appeals as rules
from aihub_applications.domain.application import Application
from aihub_applications.domain.review import CohortReview
from aihub_applications.service_layer.access import require_manager
from aihub_applications.service_layer.advancing import advance_by_hand
from aihub_applications.service_layer.appeal_views import AppealView, disclosure_of, view_of
from aihub_applications.service_layer.events import new_event
from aihub_applications.service_layer.loaders import load, review_of, stage_of
from aihub_applications.service_layer.stage_scores import stage_results
from aihub_shared.contracts.applications import ApplicationAppeal, StageDisclosure
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.identity import StaffPrincipal
from aihub_shared.refusals import NotFound
from aihub_shared.runtime import outbox
from aihub_shared.runtime.db import DbConnection

Outcome = Literal["upheld", "dismissed"]


@dataclass(frozen=True)
class Origin:
    """Who files, and the event that carried the request (Kafka) or the request's correlation."""

    filed_by: str
    now: datetime
    caused_by: CloudEvent | None = None
    correlation_id: str | None = None


async def file_appeal(
    pool: asyncpg.Pool,
    application_id: uuid.UUID,
    reason: str,
    *,
    disclose: bool,
    staff: StaffPrincipal,
    correlation_id: str | None = None,
) -> AppealView:
    """Staff file the applicant's appeal of the application's latest rejection."""
    async with pool.acquire() as conn, conn.transaction():
        application = await load(conn, application_id)
        require_manager(staff, application.program_code)
        origin = Origin(staff.id, datetime.now(UTC), correlation_id=correlation_id)
        return await file_for(conn, application, reason, disclose=disclose, origin=origin)


async def file_for(
    conn: DbConnection,
    application: Application,
    reason: str,
    *,
    disclose: bool,
    origin: Origin,
) -> AppealView:
    """Both doors: 409 (`CodedRefusal`, with its code) past the window, for a decision already
    appealed, or for an application that is not rejected."""
    review = await review_of(conn, application)
    stage = review.stages[application.lifecycle(review).stage_index]
    decided_at = await appeals.rejected_at(conn, application.id)
    rules.appeal_deadline(application.status, stage, decided_at, origin.now)
    assert decided_at is not None  # `appeal_deadline` refuses an application never rejected
    row = await appeals.insert(
        conn,
        application.id,
        stage.code,
        decided_at,
        reason,
        disclosure_requested=disclose,
        filed_by=origin.filed_by,
    )
    if row is None:
        raise rules.already_appealed(
            str(await appeals.of_decision(conn, application.id, decided_at))
        )
    await history.add_note(
        conn,
        application,
        origin.filed_by,
        f"appeal filed: {reason}",
        action="appealed",
        stage_code=stage.code,
    )
    await _publish(conn, "appeal.filed", application, row, None, origin)
    return view_of(row, await disclosure_of(conn, application, stage) if disclose else None)


async def decide_appeal(
    pool: asyncpg.Pool,
    appeal_id: uuid.UUID,
    outcome: Outcome,
    reason: str,
    *,
    staff: StaffPrincipal,
    correlation_id: str | None = None,
) -> AppealView:
    """Uphold (the application is in review again: advanced to the next stage as by hand when
    its stage was scored and is not the last, else back in that stage's pool) or dismiss an
    open appeal, with the reason; 409 once decided."""
    async with pool.acquire() as conn, conn.transaction():
        application_id = await appeals.application_of(conn, appeal_id)
        if application_id is None:
            raise NotFound(f"no appeal {appeal_id}")
        # Reinstating adds to a stage's pool: the cohort lock first, as advancing takes it.
        await repository.lock_cohorts_of(conn, [application_id])
        appeal = await appeals.lock(conn, appeal_id)
        assert appeal is not None  # appeals are never deleted
        application = await load(conn, application_id)
        require_manager(staff, application.program_code)
        rules.require_open(str(appeal_id), appeal["status"])
        review = await review_of(conn, application)
        _, stage = stage_of(review, appeal["stage_code"])
        disclosure = (
            await disclosure_of(conn, application, stage)
            if appeal["disclosure_requested"]
            else None
        )
        reinstated = None
        if outcome == "upheld":
            reinstated = await _reinstate(conn, application, review, reason, staff, correlation_id)
        row = await appeals.decide(conn, appeal_id, outcome, reason, staff.id, reinstated)
        await history.add_note(
            conn,
            await load(conn, application_id),
            staff.id,
            f"appeal {outcome}: {reason}",
            action=f"appeal_{outcome}",
            stage_code=stage.code,
        )
        origin = Origin(staff.id, datetime.now(UTC), correlation_id=correlation_id)
        await _publish(conn, "appeal.decided", application, row, disclosure, origin)
        return view_of(row, disclosure)


async def _reinstate(
    conn: DbConnection,
    application: Application,
    review: CohortReview,
    reason: str,
    staff: StaffPrincipal,
    correlation_id: str | None,
) -> str:
    """The rejection reopened; returns the stage the application is in review in now."""
    state = application.lifecycle(review)
    reopened = state.reinstate()
    stage = review.stages[reopened.stage_index]
    why = f"appeal upheld: {reason}"
    await repository.set_status(conn, application.id, reopened.status)
    await history.add_history(
        conn,
        application.id,
        state.status,
        reopened.status,
        staff.id,
        why,
        action="reinstated",
        stage_code=stage.code,
    )
    result = (await stage_results(conn, application.cohort_code, stage)).get(str(application.id))
    if reopened.at_final_stage or result is None or result.score is None:
        return stage.code  # back in the stage's pool: scored (again) and closed as the others
    reloaded = await load(conn, application.id)
    return await advance_by_hand(
        conn, reloaded, review, why, actor=staff.id, correlation_id=correlation_id
    )


async def _publish(
    conn: DbConnection,
    name: str,
    application: Application,
    row: dict[str, Any],
    disclosure: StageDisclosure | None,
    origin: Origin,
) -> None:
    data = ApplicationAppeal(
        **application.ref,
        appeal_id=str(row["id"]),
        stage_code=row["stage_code"],
        status=row["status"],
        reason=row["reason"],
        filed_by=row["filed_by"],
        disclosure_requested=row["disclosure_requested"],
        decision_reason=row["decision_reason"],
        decided_by=row["decided_by"],
        reinstated_to_stage=row["reinstated_to_stage"],
        disclosure=disclosure,
    )
    event = new_event(
        name,
        subject=application.cohort_code,
        data=data,
        caused_by=origin.caused_by,
        correlation_id=origin.correlation_id,
    )
    await outbox.add_events(conn, [event])
