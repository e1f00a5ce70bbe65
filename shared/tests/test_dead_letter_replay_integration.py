"""Dead letters can be listed and replayed to the topic they failed on (DESIGN §3)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from aihub_local.stack import StackEndpoints
from aihub_local.testing import header, publish, read_until
from aihub_shared.contracts.topics_admin import ensure_topics
from aihub_shared.runtime.deadletters import replay

pytestmark = pytest.mark.integration

# Nothing consumes intake.kpi-reports yet, so a replay there disturbs no running service.
DLQ = "intake.kpi-reports.dlq"
ORIGIN = "intake.kpi-reports"


async def test_a_dead_letter_is_listed_and_replayed_unchanged(
    local_stack: StackEndpoints, run_id: str
) -> None:
    await ensure_topics(local_stack.kafka_as("ops"))
    key = f"replay-{run_id}".encode()
    original = b'{"not": "a cloud event"}'
    await publish(
        local_stack.kafka,
        DLQ,
        [
            (
                key,
                original,
                [
                    ("x-trace", b"\xff\x00"),
                    ("dlq_reason", b"envelope violates CloudEvents 1.0"),
                    ("dlq_detail", b"specversion: Field required"),
                    ("dlq_consumer", b"programs.kpi"),
                    ("dlq_topic", ORIGIN.encode()),
                    ("dlq_partition", b"2"),
                    ("dlq_offset", b"41"),
                    ("dlq_at", b"2026-11-20T00:00:00+00:00"),
                ],
            )
        ],
    )

    listed = await asyncio.to_thread(
        subprocess.run,
        [str(Path(sys.executable).parent / "aihub-dead-letters"), "list", DLQ],
        env={**os.environ, **local_stack.kafka_as("ops").environment()},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    (mine,) = [
        entry
        for entry in map(json.loads, listed.stdout.splitlines())
        if entry["key"] == key.decode()
    ]
    assert mine["reason"] == "envelope violates CloudEvents 1.0"
    assert mine["origin"] == f"{ORIGIN}:2:41"
    assert mine["consumer"] == "programs.kpi"

    replayed = await replay(local_stack.kafka_as("ops"), DLQ, [(mine["partition"], mine["offset"])])
    assert [r.key for r in replayed] == [key.decode()]

    (again,) = await read_until(local_stack.kafka, ORIGIN, lambda r: r.key == key, count=1)
    assert again.value == original
    names = [name for name, _ in again.headers]
    assert not [n for n in names if n.startswith("dlq_") and n != "dlq_replay_of"]
    assert ("x-trace", b"\xff\x00") in list(again.headers)
    assert header(again, "dlq_replay_of") == f"{DLQ}:{mine['partition']}:{mine['offset']}"


async def test_replaying_a_position_that_is_not_there_is_refused(
    local_stack: StackEndpoints,
) -> None:
    await ensure_topics(local_stack.kafka_as("ops"))
    with pytest.raises(ValueError, match=re.escape("not on intake.kpi-reports.dlq")):
        await replay(local_stack.kafka, DLQ, [(0, 10**12)])
