"""The operators' HTTP routes every service mounts (`ops_router`), admin and ops only: its own
dead letters with replay (`dead_letter_admin.py`) and its outbox rows set aside, retried or
dropped (`outbox_admin.py`). The staff console's `/ops` pages call these on each service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime import outbox_admin
from aihub_shared.runtime.dead_letter_admin import (
    DeadLetterDesk,
    DeadLetterEntry,
    Replay,
)
from aihub_shared.runtime.http_auth import StaffDependency, require_role
from aihub_shared.runtime.http_errors import READ_ONE_ERRORS, error_responses
from aihub_shared.runtime.logging import mask_email
from aihub_shared.runtime.service import ServiceRuntime, runtime_of

log = structlog.get_logger(__name__)

#: A route with a body: one that is not JSON (400) or too large (413).
BODY_ERRORS = error_responses(400, 413)

DLQ_TOPIC_PATTERN = r"^[a-z0-9.-]+\.dlq$"


class ReplayView(BaseModel):
    outcome: Literal["applied", "already-applied", "ignored", "failed"] = Field(
        description="`applied`: the consumer's effect is now committed; `already-applied`: it"
        " was before (the inbox knew the event); `ignored`: no handler for this event type now;"
        " `failed`: it failed again, see `reason`."
    )
    requested_by: str
    replayed_at: datetime
    reason: str | None = None

    @classmethod
    def of(cls, replay: Replay) -> ReplayView:
        return cls.model_validate(replay, from_attributes=True)


class DeadLetterView(BaseModel):
    topic: str = Field(description="The dead-letter topic, `<topic>.dlq`.")
    partition: int
    offset: int
    key: str | None
    reason: str
    detail: str
    consumer: str = Field(description="The consumer group that set it aside.")
    origin: str = Field(description="`topic:partition:offset` where it failed.")
    dead_lettered_at: str
    event_type: str | None = Field(description="The CloudEvent `type`, if the bytes say one.")
    event_id: str | None
    size: int = Field(description="Bytes of the message kept.")
    replays: list[ReplayView] = Field(description="Every replay so far, oldest first.")

    @classmethod
    def of(cls, entry: DeadLetterEntry) -> DeadLetterView:
        letter = entry.letter
        return cls(
            topic=entry.topic,
            partition=letter.partition,
            offset=letter.offset,
            key=letter.key,
            reason=letter.reason,
            detail=letter.detail,
            consumer=letter.consumer,
            origin=letter.origin,
            dead_lettered_at=letter.dead_lettered_at,
            event_type=entry.event_type,
            event_id=entry.event_id,
            size=entry.size,
            replays=[ReplayView.of(r) for r in entry.replays],
        )


class DeadLetterList(BaseModel):
    topics: list[str] = Field(description="The dead-letter topics this service reads.")
    total: int
    items: list[DeadLetterView] = Field(description="Newest first, at most `limit`.")


class DeadLetterDetail(DeadLetterView):
    value: str = Field(description="The message as text (undecodable bytes replaced).")
    headers: list[tuple[str, str]] = Field(description="Its original headers.")


class SetAsideView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    topic: str
    event_type: str | None
    event_id: str | None
    size: int
    created_at: datetime
    failed_at: datetime
    failed_reason: str


#: An outbox row's id: a Postgres bigint, never a JSON `true` read as 1.
OutboxId = Annotated[int, Field(strict=True, ge=1, le=2**63 - 1)]


class OutboxIds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[OutboxId] = Field(min_length=1, max_length=500)


class OutboxSettled(BaseModel):
    ids: list[int] = Field(description="The rows that were set aside and are now settled.")


def _desk(runtime: ServiceRuntime = Depends(runtime_of)) -> DeadLetterDesk:
    return DeadLetterDesk(
        runtime.settings.kafka, runtime.pool, runtime.consumers, reader=runtime.dead_letters
    )


Partition = Path(ge=0, le=10_000)
Offset = Path(ge=0, le=2**62)
Topic = Path(pattern=DLQ_TOPIC_PATTERN, max_length=200)


def ops_router(current_staff: StaffDependency) -> APIRouter:
    router = APIRouter(prefix="/ops", tags=["ops"])
    operator = require_role(current_staff, Role.OPS)

    @router.get("/dead-letters", response_model=DeadLetterList, responses=READ_ONE_ERRORS)
    async def list_dead_letters(
        topic: str | None = Query(default=None, pattern=DLQ_TOPIC_PATTERN, max_length=200),
        limit: int = Query(default=100, ge=1, le=1000),
        desk: DeadLetterDesk = Depends(_desk),
        _: StaffPrincipal = Depends(operator),
    ) -> DeadLetterList:
        """The dead letters this service's consumers set aside (404: not a topic it reads)."""
        entries = await desk.letters(topic)
        return DeadLetterList(
            topics=desk.topics(),
            total=len(entries),
            items=[DeadLetterView.of(e) for e in entries[:limit]],
        )

    @router.get(
        "/dead-letters/{topic}/{partition}/{offset}",
        response_model=DeadLetterDetail,
        responses=READ_ONE_ERRORS,
    )
    async def get_dead_letter(
        topic: str = Topic,
        partition: int = Partition,
        offset: int = Offset,
        desk: DeadLetterDesk = Depends(_desk),
        _: StaffPrincipal = Depends(operator),
    ) -> DeadLetterDetail:
        found = await desk.get(topic, partition, offset)
        view = DeadLetterView.of(found.entry)
        return DeadLetterDetail(**view.model_dump(), value=found.value, headers=list(found.headers))

    @router.post(
        "/dead-letters/{topic}/{partition}/{offset}/replay",
        response_model=ReplayView,
        responses=error_responses(404, 409),
    )
    async def replay_dead_letter(
        topic: str = Topic,
        partition: int = Partition,
        offset: int = Offset,
        desk: DeadLetterDesk = Depends(_desk),
        staff: StaffPrincipal = Depends(operator),
    ) -> ReplayView:
        """Hand the dead letter back to the consumer that failed it (exactly once: an effect
        already committed is `already-applied`); 409 with the reason if it fails again."""
        return ReplayView.of(await desk.replay(topic, partition, offset, staff.id))

    @router.get("/outbox", response_model=list[SetAsideView])
    async def list_set_aside(
        limit: int = Query(default=100, ge=1, le=1000),
        runtime: ServiceRuntime = Depends(runtime_of),
        _: StaffPrincipal = Depends(operator),
    ) -> list[SetAsideView]:
        """Events this service committed but Kafka refused for good, oldest first."""
        async with runtime.pool.acquire() as conn:
            rows = await outbox_admin.list_set_aside(conn, limit=limit)
        return [SetAsideView.model_validate(r) for r in rows]

    @router.post("/outbox/retry", response_model=OutboxSettled, responses=BODY_ERRORS)
    async def retry_set_aside(
        body: OutboxIds,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(operator),
    ) -> OutboxSettled:
        """Hand these rows back to the relay (after fixing what made Kafka refuse them)."""
        async with runtime.pool.acquire() as conn, conn.transaction():
            done = await outbox_admin.retry_set_aside(conn, body.ids)
        log.info("outbox rows retried", ids=done, requested_by=mask_email(staff.id))
        return OutboxSettled(ids=done)

    @router.post("/outbox/drop", response_model=OutboxSettled, responses=BODY_ERRORS)
    async def drop_set_aside(
        body: OutboxIds,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(operator),
    ) -> OutboxSettled:
        """Delete these rows: their events are never published."""
        async with runtime.pool.acquire() as conn, conn.transaction():
            done = await outbox_admin.drop_set_aside(conn, body.ids)
        log.warning("outbox rows dropped", ids=done, requested_by=mask_email(staff.id))
        return OutboxSettled(ids=done)

    return router
