"""`./dev status` and `./dev restart SERVICE` (`aihub-local status|restart`), as a newcomer runs
them: the services' URL, pid and health next to the infrastructure; one service restarted the
way `up` starts it, on its port."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aihub_local.platform import PIDS_FILE, stop_recorded_service
from aihub_local.stack import StackEndpoints

pytestmark = pytest.mark.integration

AIHUB_LOCAL = str(Path(sys.executable).with_name("aihub-local"))


def aihub_local(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AIHUB_LOCAL, *args, "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def services_in_status(state_dir: Path) -> dict[str, dict[str, Any]]:
    shown = aihub_local(state_dir, "status", "--json")
    status: dict[str, Any] = json.loads(shown.stdout)
    return {row["service"]: row for row in status["services"]}


@pytest.fixture
def restarted_here(local_stack: StackEndpoints) -> Iterator[Path]:
    """The test stack's state dir; the notifications instance `restart` starts there is stopped
    and forgotten afterwards (the session's own services are not recorded there)."""
    state_dir = local_stack.state_dir
    assert not (state_dir / PIDS_FILE).exists()
    yield state_dir
    stop_recorded_service(state_dir, "notifications")
    (state_dir / PIDS_FILE).unlink(missing_ok=True)


def test_status_lists_the_services_and_restart_restarts_one(restarted_here: Path) -> None:
    before = services_in_status(restarted_here)
    assert set(before) == {"applications", "programs", "notifications", "console"}
    assert before["notifications"]["ready"] == "not started"

    first = aihub_local(restarted_here, "restart", "notifications")
    assert first.returncode == 0, first.stdout + first.stderr
    started = services_in_status(restarted_here)["notifications"]
    assert started["ready"] == "ok"
    assert started["consuming"] == "ok"
    assert httpx.get(started["url"] + "/health/live").status_code == 200

    again = aihub_local(restarted_here, "restart", "notifications")
    assert again.returncode == 0, again.stdout + again.stderr
    restarted = services_in_status(restarted_here)["notifications"]
    assert restarted["url"] == started["url"]  # the same port, as `up` gave it
    assert restarted["pid"] != started["pid"]
    assert restarted["ready"] == "ok"

    table = aihub_local(restarted_here, "status")
    assert "Services" in table.stdout
    assert started["url"] in table.stdout
    # Not every service runs here, so the status is not all healthy.
    assert table.returncode == 1


def test_restart_names_the_services_it_knows(restarted_here: Path) -> None:
    unknown = aihub_local(restarted_here, "restart", "billing")
    assert unknown.returncode == 2
    assert "no service 'billing'" in unknown.stderr
