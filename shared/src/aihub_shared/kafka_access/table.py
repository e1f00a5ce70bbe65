"""The one source of truth for Kafka access: every principal, the topics it reads and writes,
and the consumer groups it may use. The launcher, compose's `kafka-access` step and the k8s Job
all apply it with `aihub-kafka-access apply`; tests/infra checks the broker against it
principal by principal, and tests/deploy checks the README's table against it.

Deny by default: whatever a row does not grant, the broker refuses. Reading implies Describe and
a consumer group grant implies using only groups named `<principal>.*` (the services' consumer
names are `<service>.<purpose>` already).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from aihub_shared.contracts.topics import (
    ALL_TOPICS,
    APPLICATIONS_LIFECYCLE,
    CONSUMED_TOPICS,
    INTAKE_APPLICATIONS,
    INTAKE_ERASURE_REQUESTS,
    INTAKE_KPI_REPORTS,
    INTAKE_RECEIPTS,
    INTAKE_SELECTION_REQUESTS,
    NOTIFICATIONS_DELIVERIES,
    PRIVACY_ERASURES,
    PROGRAMS_CATALOG,
    PROGRAMS_ENROLLMENTS,
    dead_letter_topic,
)

Kind = Literal["service", "publisher", "ops", "test"]

#: The broker's own principals and the one bootstrap admin: super users, created when the
#: storage is formatted, never in this table (nothing is granted to them, nothing is needed).
SUPER_USERS = ("broker", "controller", "admin")

PUBLISHER_NAME = re.compile(r"[a-z][a-z0-9-]{1,39}")

_DLQ_TOPICS = tuple(dead_letter_topic(t) for t in CONSUMED_TOPICS)


def _dlqs(*topics: str) -> tuple[str, ...]:
    return tuple(dead_letter_topic(t) for t in topics)


@dataclass(frozen=True)
class Principal:
    """One SCRAM user and what it may do. `groups` are consumer-group id prefixes."""

    name: str
    kind: Kind
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    #: Topic administration (create topics, bring their settings up to the spec).
    manages_topics: bool = False
    #: Needed wherever the platform runs (services, ops); the others only where configured.
    required: bool = True
    why: str = ""

    @property
    def user(self) -> str:
        return f"User:{self.name}"


def publisher(name: str) -> Principal:
    """A system that submits applications, KPI reports, erasure requests and applicants'
    appeals and challenges, and reads the receipts."""
    if not PUBLISHER_NAME.fullmatch(name) or name in {p.name for p in _FIXED} | set(SUPER_USERS):
        raise ValueError(
            f"{name!r} cannot name a publisher: lower-case letters, digits and '-', 2-40 "
            "characters, not a service's, ops' or the broker's own name"
        )
    return Principal(
        name=name,
        kind="publisher",
        reads=(INTAKE_RECEIPTS,),
        writes=(
            INTAKE_APPLICATIONS,
            INTAKE_KPI_REPORTS,
            INTAKE_ERASURE_REQUESTS,
            INTAKE_SELECTION_REQUESTS,
        ),
        groups=(f"{name}.",),
        required=False,
        why="submits applications, KPI reports, erasure requests, appeals and challenges;"
        " reads the receipts",
    )


_FIXED: tuple[Principal, ...] = (
    Principal(
        "applications",
        "service",
        reads=(
            INTAKE_APPLICATIONS,
            PROGRAMS_CATALOG,
            PROGRAMS_ENROLLMENTS,
            INTAKE_ERASURE_REQUESTS,
            PRIVACY_ERASURES,
            INTAKE_SELECTION_REQUESTS,
            # Its own dead letters, for ops to see and replay over its HTTP API (no group).
            *_dlqs(
                INTAKE_APPLICATIONS,
                PROGRAMS_CATALOG,
                PROGRAMS_ENROLLMENTS,
                INTAKE_ERASURE_REQUESTS,
                PRIVACY_ERASURES,
                INTAKE_SELECTION_REQUESTS,
            ),
        ),
        writes=(
            INTAKE_RECEIPTS,
            APPLICATIONS_LIFECYCLE,
            PRIVACY_ERASURES,
            *_dlqs(
                INTAKE_APPLICATIONS,
                PROGRAMS_CATALOG,
                PROGRAMS_ENROLLMENTS,
                INTAKE_ERASURE_REQUESTS,
                PRIVACY_ERASURES,
                INTAKE_SELECTION_REQUESTS,
            ),
        ),
        groups=("applications.",),
        why="intake, appeals and challenges, catalog replica, follows enrollments, takes erasure"
        " requests and collects"
        " their confirmations; publishes receipts and lifecycle; reads its dead letters for replay",
    ),
    Principal(
        "programs",
        "service",
        reads=(
            APPLICATIONS_LIFECYCLE,
            INTAKE_KPI_REPORTS,
            PRIVACY_ERASURES,
            *_dlqs(APPLICATIONS_LIFECYCLE, INTAKE_KPI_REPORTS, PRIVACY_ERASURES),
        ),
        writes=(
            PROGRAMS_CATALOG,
            PROGRAMS_ENROLLMENTS,
            INTAKE_RECEIPTS,
            PRIVACY_ERASURES,
            *_dlqs(APPLICATIONS_LIFECYCLE, INTAKE_KPI_REPORTS, PRIVACY_ERASURES),
        ),
        groups=("programs.",),
        why="seats from lifecycle, KPI reports, erasures; publishes the catalog, enrollments,"
        " KPI receipts, erasure confirmations; reads its dead letters for replay",
    ),
    Principal(
        "notifications",
        "service",
        reads=(
            PROGRAMS_CATALOG,
            APPLICATIONS_LIFECYCLE,
            PROGRAMS_ENROLLMENTS,
            PRIVACY_ERASURES,
            *_DLQ_TOPICS,
        ),
        writes=(
            NOTIFICATIONS_DELIVERIES,
            PRIVACY_ERASURES,
            *_dlqs(
                PROGRAMS_CATALOG, APPLICATIONS_LIFECYCLE, PROGRAMS_ENROLLMENTS, PRIVACY_ERASURES
            ),
        ),
        groups=("notifications.",),
        why="mails from catalog, lifecycle, enrollments, erasures; every dead letter for ops"
        " alerts (and its own for replay); publishes deliveries and erasure confirmations",
    ),
    Principal(
        "ops",
        "ops",
        reads=_DLQ_TOPICS,
        # `aihub-dead-letters replay` republishes a dead letter to the topic it failed on.
        writes=tuple(CONSUMED_TOPICS),
        manages_topics=True,
        why="topic creation, `aihub-dead-letters list/replay`",
    ),
)

#: The example publishing system; more are added with `aihub-kafka-access add-publisher NAME`.
PORTAL = publisher("portal")

#: The test suite's own producers and readers (created by the local launcher only): they stand
#: in for every publisher and service to drive the services, so they read and write every
#: platform topic, with groups `test.*`, and create no topics.
TEST = Principal(
    "test",
    "test",
    reads=tuple(t.name for t in ALL_TOPICS),
    writes=tuple(t.name for t in ALL_TOPICS),
    groups=("test",),
    required=False,
    why="the test suite's producers and readers (local launcher only)",
)

PRINCIPALS: tuple[Principal, ...] = (*_FIXED, PORTAL, TEST)


def principal(name: str) -> Principal:
    for candidate in PRINCIPALS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def platform_topics() -> list[str]:
    return [t.name for t in ALL_TOPICS]


__all__ = [
    "PORTAL",
    "PRINCIPALS",
    "SUPER_USERS",
    "TEST",
    "Principal",
    "platform_topics",
    "principal",
    "publisher",
]
