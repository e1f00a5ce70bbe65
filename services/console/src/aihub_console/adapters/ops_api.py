"""The operators' calls every service answers alike (`aihub_shared.runtime.ops_routes`: its own
dead letters and set-aside outbox rows; `/health`): one function per call over any service's
`ServiceApi`, so the three clients do not each repeat them. Models mirror the services'
documented answers."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

import httpx
from pydantic import BaseModel, ValidationError

from aihub_console.adapters.service_api import ServiceApi, ServiceUnavailable


class Replay(BaseModel):
    outcome: Literal["applied", "already-applied", "ignored", "failed"]
    requested_by: str
    replayed_at: datetime
    reason: str | None = None


class DeadLetter(BaseModel):
    topic: str
    partition: int
    offset: int
    key: str | None
    reason: str
    detail: str
    consumer: str
    origin: str
    dead_lettered_at: str
    event_type: str | None
    event_id: str | None
    size: int
    replays: list[Replay]

    @property
    def last_replay(self) -> Replay | None:
        return self.replays[-1] if self.replays else None

    @property
    def set_aside_at(self) -> datetime | None:
        """`dead_lettered_at` (the consumer's ISO 8601 header) as a moment, if it is one."""
        try:
            return datetime.fromisoformat(self.dead_lettered_at)
        except ValueError:
            return None


class DeadLetters(BaseModel):
    topics: list[str]
    total: int
    items: list[DeadLetter]


class DeadLetterDetail(DeadLetter):
    value: str
    headers: list[tuple[str, str]]

    @property
    def readable_value(self) -> str:
        """The message indented, its Korean unescaped, when it is JSON; else as it came."""
        try:
            return json.dumps(json.loads(self.value), indent=2, ensure_ascii=False)
        except ValueError:
            return self.value


class SetAsideRow(BaseModel):
    id: int
    topic: str
    event_type: str | None
    event_id: str | None
    size: int
    created_at: datetime
    failed_at: datetime
    failed_reason: str


class Settled(BaseModel):
    ids: list[int]


class DependencyCheck(BaseModel):
    ok: bool
    error: str | None = None


class Readiness(BaseModel):
    status: Literal["ready", "unready"]
    checks: dict[str, DependencyCheck]
    down: list[str]


async def dead_letters(api: ServiceApi, topic: str | None = None) -> DeadLetters:
    params = {"topic": topic} if topic else None
    return await api.call("GET", "/ops/dead-letters", DeadLetters, params=params)


async def dead_letter(api: ServiceApi, topic: str, partition: int, offset: int) -> DeadLetterDetail:
    return await api.call(
        "GET", f"/ops/dead-letters/{topic}/{partition}/{offset}", DeadLetterDetail
    )


async def replay_dead_letter(api: ServiceApi, topic: str, partition: int, offset: int) -> Replay:
    return await api.call("POST", f"/ops/dead-letters/{topic}/{partition}/{offset}/replay", Replay)


async def set_aside_outbox(api: ServiceApi) -> list[SetAsideRow]:
    return await api.call("GET", "/ops/outbox", list[SetAsideRow])


async def settle_outbox(
    api: ServiceApi, action: Literal["retry", "drop"], ids: list[int]
) -> Settled:
    return await api.call("POST", f"/ops/outbox/{action}", Settled, json={"ids": ids})


async def readiness(api: ServiceApi, which: Literal["ready", "consumers"]) -> Readiness:
    """A health answer, also when it is 503 (its body names what is down); needs no token."""
    try:
        response = await api.http.get(f"/health/{which}")
    except httpx.HTTPError as exc:
        raise ServiceUnavailable(api.name, type(exc).__name__) from exc
    try:
        return Readiness.model_validate_json(response.content)
    except ValidationError as exc:
        raise ServiceUnavailable(api.name, f"HTTP {response.status_code}") from exc
