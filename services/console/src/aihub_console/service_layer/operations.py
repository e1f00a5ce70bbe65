"""The ops pages' use cases: the same question to each of the three services, the answers side
by side. A service that refuses or does not answer is named on the page with its reason, next to
what the others answered; it never hides them. Who may see what is each service's decision: only
when every service refuses is the page itself refused (with the first reason)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from aihub_console.adapters import ops_api
from aihub_console.adapters.ops_api import DeadLetter, DeadLetterDetail, Readiness, SetAsideRow
from aihub_console.adapters.service_api import ServiceApi, ServiceRefusal, ServiceUnavailable

T = TypeVar("T")

SERVICE_NAMES = ("applications", "programs", "notifications")


@dataclass(frozen=True)
class PerService(Generic[T]):
    """Each service's answer, and for those without one, why."""

    answers: dict[str, T] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


#: The three services' clients of one request, by service name.
Apis = Mapping[str, ServiceApi]


async def ask_each(
    apis: Apis,
    ask: Callable[[ServiceApi], Awaitable[T]],
    *,
    not_found_is_none: bool = False,
) -> PerService[T]:
    """`ask` of every service at once. With `not_found_is_none`, a 404 means "nothing here"
    (a dead-letter topic or position another service owns) and is not a problem."""
    results = await asyncio.gather(*(ask(api) for api in apis.values()), return_exceptions=True)
    found: PerService[T] = PerService()
    refusals: list[ServiceRefusal] = []
    for name, result in zip(apis, results, strict=True):
        if isinstance(result, ServiceRefusal):
            if not (not_found_is_none and result.status == 404):
                refusals.append(result)
                found.problems[name] = _reason(result)
        elif isinstance(result, ServiceUnavailable):
            found.problems[name] = result.reason
        elif isinstance(result, BaseException):
            raise result  # a lapsed sign-in, a bug: the page's own error handling
        else:
            found.answers[name] = result
    if refusals and len(refusals) == len(apis):
        raise refusals[0]
    return found


def _reason(refusal: ServiceRefusal) -> str:
    return refusal.detail if isinstance(refusal.detail, str) else f"HTTP {refusal.status}"


@dataclass(frozen=True)
class ServiceDeadLetter:
    service: str
    letter: DeadLetter


@dataclass(frozen=True)
class DeadLetterOverview:
    letters: list[ServiceDeadLetter]
    topics: list[str]
    problems: dict[str, str]


async def dead_letters(apis: Apis, topic: str | None) -> DeadLetterOverview:
    """Every service's dead letters (of one topic), newest first."""
    answers = await ask_each(
        apis, lambda api: ops_api.dead_letters(api, topic), not_found_is_none=True
    )
    letters = [
        ServiceDeadLetter(service, letter)
        for service, answer in answers.answers.items()
        for letter in answer.items
    ]
    letters.sort(key=lambda item: item.letter.dead_lettered_at, reverse=True)
    topics = sorted({t for answer in answers.answers.values() for t in answer.topics})
    return DeadLetterOverview(letters, topics, answers.problems)


async def dead_letter(
    apis: Apis, topic: str, partition: int, offset: int
) -> tuple[str, DeadLetterDetail]:
    """The dead letter at this position and the service whose consumer wrote it."""
    return await _from_its_owner(
        apis, lambda api: ops_api.dead_letter(api, topic, partition, offset)
    )


async def replay(apis: Apis, topic: str, partition: int, offset: int) -> tuple[str, ops_api.Replay]:
    """Hand the dead letter back to the consumer that failed it. Asked of every service at
    once: only the one whose consumer wrote it acts, the others answer 404. A `ServiceRefusal`
    (409) with the reason if it fails again."""
    return await _from_its_owner(
        apis, lambda api: ops_api.replay_dead_letter(api, topic, partition, offset)
    )


async def _from_its_owner(apis: Apis, ask: Callable[[ServiceApi], Awaitable[T]]) -> tuple[str, T]:
    """The one service's answer about a dead letter (the others, not its owners, answer 404);
    the first other failure, or a 404 with its reason, when none answers."""
    results = await asyncio.gather(*(ask(api) for api in apis.values()), return_exceptions=True)
    failures: list[BaseException] = []
    for name, result in zip(apis, results, strict=True):
        if isinstance(result, BaseException):
            failures.append(result)
        else:
            return name, result
    not_found = [r for r in failures if isinstance(r, ServiceRefusal) and r.status == 404]
    raise next((r for r in failures if r not in not_found), not_found[0])


@dataclass(frozen=True)
class Position:
    """Where a dead letter is: `topic:partition:offset` in forms and batch queues."""

    topic: str
    partition: int
    offset: int

    @classmethod
    def parse(cls, text: str) -> Position | None:
        found = _POSITION.fullmatch(text)
        return cls(found[1], int(found[2]), int(found[3])) if found else None

    def __str__(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"


_POSITION = re.compile(r"([a-z0-9.-]{1,200}\.dlq):(\d{1,5}):(\d{1,19})")


@dataclass(frozen=True)
class ReplayStep:
    """One replay of a batch: the service that handled it and how, or why not."""

    position: Position
    service: str | None = None
    replay: ops_api.Replay | None = None
    problem: str | None = None


async def replay_step(apis: Apis, position: Position) -> ReplayStep:
    """`replay`, with a refusal (failed again, not found) as the step's problem: a batch goes
    on after one that fails."""
    try:
        service, done = await replay(apis, position.topic, position.partition, position.offset)
    except ServiceRefusal as refusal:
        return ReplayStep(position, problem=_reason(refusal))
    return ReplayStep(position, service, done)


async def set_aside(apis: Apis) -> PerService[list[SetAsideRow]]:
    return await ask_each(apis, ops_api.set_aside_outbox)


async def settle(
    apis: Apis, service: str, action: Literal["retry", "drop"], ids: list[int]
) -> list[int]:
    settled = await ops_api.settle_outbox(apis[service], action, ids)
    return settled.ids


@dataclass(frozen=True)
class ServiceHealth:
    ready: Readiness | None
    consumers: Readiness | None
    problem: str | None


async def health(apis: Apis) -> dict[str, ServiceHealth]:
    """Each service's readiness to serve HTTP and to consume, as it reports them."""

    async def both(api: ServiceApi) -> tuple[Readiness, Readiness]:
        ready, consumers = await asyncio.gather(
            ops_api.readiness(api, "ready"), ops_api.readiness(api, "consumers")
        )
        return ready, consumers

    answers = await ask_each(apis, both)
    return {
        name: ServiceHealth(
            ready=answers.answers[name][0] if name in answers.answers else None,
            consumers=answers.answers[name][1] if name in answers.answers else None,
            problem=answers.problems.get(name),
        )
        for name in SERVICE_NAMES
    }
