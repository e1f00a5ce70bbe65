"""Helpers for end-to-end tests of the programs service: its own instances, lifecycle events as
the applications service would publish them, and a cohort's seat history read back from Kafka."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from aihub_local.platform import _console_script, free_port, service_env
from aihub_local.processes import ManagedProcess, wait_http_ok
from aihub_local.stack import StackEndpoints
from aihub_shared.contracts.registry import contract
from aihub_shared.runtime.kafka_client import KafkaConnection


@contextmanager
def programs_instances(
    endpoints: StackEndpoints, log_dir: Path, *, count: int
) -> Iterator[list[str]]:
    """`count` programs services as OS processes (same console script, same consumer groups),
    each on its own HTTP port; yields their base URLs and stops them afterwards (each must exit
    0 on SIGTERM)."""
    processes: list[ManagedProcess] = []
    urls: list[str] = []
    try:
        for n in range(count):
            port = free_port()
            env = service_env(endpoints, "programs", http_port=port)
            process = ManagedProcess(
                f"programs-{n}",
                [_console_script("aihub-programs"), "serve"],
                env,
                log_dir / f"programs-instance-{n}.log",
            )
            processes.append(process)
            process.start()
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes, strict=True):
            try:
                wait_http_ok(url + "/health/ready", timeout=60)
            except TimeoutError as exc:
                raise TimeoutError(f"{process.name} not ready; see {process.log_file}") from exc
        yield urls
    finally:
        codes = [p.terminate() for p in processes if p.is_running()]
    assert all(code == 0 for code in codes), codes


async def group_members(kafka: KafkaConnection, group: str) -> int:
    """How many consumers the group has right now (`kafka`: a principal that may describe it)."""
    admin = AIOKafkaAdminClient(**kafka.aiokafka_options())
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
        described = response.to_object()["groups"][0]
        return len(described["members"])
    finally:
        await admin.close()


def lifecycle_event(name: str, data: dict[str, Any], *, event_id: str | None = None) -> bytes:
    """An `applications.lifecycle` event as the applications service publishes it."""
    return json.dumps(
        {
            "specversion": "1.0",
            "id": event_id or str(uuid.uuid4()),
            "source": "/services/applications",
            "type": contract(name).type,
            "time": datetime.now(UTC).isoformat(),
            "subject": data["application_id"],
            "datacontenttype": "application/json",
            "data": data,
        }
    ).encode()


def received_data(application_id: str, *, program: str, cohort: str) -> dict[str, Any]:
    """The `application.received` that precedes a synthetic application's decision: without it
    the other services' lifecycle consumers (notifications) wait for an application that never
    comes, and every later test's events on that partition wait behind it."""
    return {
        "application_id": application_id,
        "submission_id": f"synthetic-{application_id}",
        "submitted_by": "/tests/e2e/programs",
        "program_code": program,
        "cohort_code": cohort,
        "startup_name": f"Startup {application_id[:8]}",
        "contact": {
            "name": f"Founder {application_id[:8]}",
            "email": f"founder-{application_id[:8]}@startup.example",
            "locale": "en",
        },
    }


def accepted_data(
    application_id: str, *, program: str, cohort: str, rank: int | None, brn: str
) -> dict[str, Any]:
    return {
        "application_id": application_id,
        "program_code": program,
        "cohort_code": cohort,
        "startup_name": f"Startup {application_id[:8]}",
        "business_registration_number": brn,
        "decided_by": "pm@hub.example",
        "reason": "selected by the final review",
        "rank": rank,
    }


def withdrawn_data(application_id: str, *, program: str, cohort: str) -> dict[str, Any]:
    return {
        "application_id": application_id,
        "program_code": program,
        "cohort_code": cohort,
        "startup_name": f"Startup {application_id[:8]}",
        "withdrawn_by": "founder@startup.example",
        "reason": "joined another program",
    }


def kpi_report_event(data: dict[str, Any], *, source: str) -> bytes:
    """A `startup.kpi_reported` as a partner system publishes it on `intake.kpi-reports`."""
    return json.dumps(
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": source,
            "type": contract("startup.kpi_reported").type,
            "time": datetime.now(UTC).isoformat(),
            "subject": data["report_id"],
            "datacontenttype": "application/json",
            "data": data,
        }
    ).encode()


@dataclass
class SeatHistory:
    """A cohort's `programs.enrollments` events replayed in order, checking every step."""

    seats: int
    ranks: dict[str, int | None]
    confirmed: set[str] = field(default_factory=set)
    waiting: set[str] = field(default_factory=set)
    cancelled: set[str] = field(default_factory=set)
    steps: list[tuple[str, str | None]] = field(default_factory=list)
    max_confirmed: int = 0
    #: The last step left a seat free while someone waited: the next one must promote.
    owed_promotion: bool = False
    _seen: set[str] = field(default_factory=set)

    def apply(self, event: dict[str, Any]) -> None:
        if event["id"] in self._seen:  # the relay may publish a batch twice after a fault
            return
        self._seen.add(event["id"])
        name = event["type"].removeprefix("kr.seoul.aihub.").rsplit(".v", 1)[0]
        data = event["data"]
        app = data.get("application_id")
        self.steps.append((name, app))
        assert data["seats_taken"] <= data["seats"] == self.seats, (name, data)
        if self.owed_promotion and name.startswith("enrollment."):
            # A freed seat goes to the best-ranked waiting startup in the same step.
            assert name == "enrollment.promoted", ("a seat left free", self.steps[-3:])
        if name == "enrollment.confirmed":
            assert app not in self.confirmed | self.waiting | self.cancelled, (name, app)
            self.confirmed.add(app)
        elif name == "enrollment.waitlisted":
            assert app not in self.confirmed | self.waiting | self.cancelled, (name, app)
            self.waiting.add(app)
        elif name == "enrollment.promoted":
            assert app in self.waiting, (name, app)
            best = min(self._rank_key(w) for w in self.waiting)
            assert self._rank_key(app) == best, f"promoted {app} over a better-ranked one"
            self.waiting.remove(app)
            self.confirmed.add(app)
        elif name == "enrollment.cancelled":
            assert app in self.confirmed | self.waiting, (name, app)
            self.confirmed.discard(app)
            self.waiting.discard(app)
            self.cancelled.add(app)
        self.max_confirmed = max(self.max_confirmed, len(self.confirmed))
        # The invariant at every published step: never more confirmed startups than seats, and
        # the events' own count agrees with the replay.
        assert len(self.confirmed) <= self.seats, self.steps[-5:]
        if name.startswith("enrollment."):
            assert data["seats_taken"] == len(self.confirmed), (name, app, data["seats_taken"])
        if name == "enrollment.waitlisted":
            assert len(self.confirmed) >= self.seats, "waitlisted while a seat was free"
        if name.startswith("enrollment."):
            self.owed_promotion = bool(self.waiting) and len(self.confirmed) < self.seats

    def _rank_key(self, app: str) -> tuple[bool, int]:
        rank = self.ranks.get(app)
        return (rank is None, rank or 0)


async def read_seat_history(
    kafka: KafkaConnection,
    cohort: str,
    history: SeatHistory,
    *,
    until_confirmed: set[str],
    until_waiting: set[str],
    within: float = 120.0,
) -> SeatHistory:
    """Replay the cohort's events from the beginning until the replayed state is the expected
    final one (every step is checked on the way)."""
    consumer = AIOKafkaConsumer(
        "programs.enrollments",
        **kafka.aiokafka_options(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    try:
        await consumer.start()
        async with asyncio.timeout(within):
            while (history.confirmed, history.waiting) != (until_confirmed, until_waiting):
                batches = await consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    for record in records:
                        if record.key == cohort.encode():
                            history.apply(json.loads(record.value))
    except TimeoutError as exc:
        raise AssertionError(
            f"replayed state never reached the final one: confirmed {sorted(history.confirmed)}"
            f" waiting {sorted(history.waiting)}"
        ) from exc
    finally:
        await consumer.stop()
    return history
