"""LocalStack lifecycle: idempotent up, restart of what died, busy ports, clean down."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aihub_local.stack import LocalStack, StackEndpoints
from aihub_local.testing import eventually

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]


def _pids_mentioning(*needles: str) -> list[int]:
    """Live (non-zombie) processes whose command line contains every needle."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if state != "Z" and all(needle in line for needle in needles):
            found.append(int(entry.name))
    return found


def _component_processes(state_dir: Path) -> dict[str, list[int]]:
    return {
        "kafka": _pids_mentioning("kafka.Kafka", str(state_dir / "kafka" / "server.properties")),
        "postgres": _pids_mentioning("-D", str(state_dir / "postgres" / "data")),
        "smtp": _pids_mentioning("aihub_local.smtp_capture", str(state_dir / "mail")),
        "keycloak": _pids_mentioning(
            "QuarkusEntryPoint", f"-Dkc.home.dir={state_dir / 'keycloak' / 'home'}"
        ),
    }


def test_up_again_reuses_the_running_stack(local_stack: StackEndpoints) -> None:
    stack = LocalStack(local_stack.state_dir, fixed_ports=False)
    pids_before = {s.name: s.pid for s in stack.status()}
    started = time.monotonic()
    again = stack.up()
    assert time.monotonic() - started < 30
    assert again == local_stack
    assert stack.endpoints() == local_stack
    statuses = stack.status()
    assert {s.name: s.pid for s in statuses} == pids_before
    assert all(s.running and s.healthy for s in statuses)
    # Exactly one process per component for this state dir: no duplicates were started.
    running = _component_processes(local_stack.state_dir)
    assert running == {name: [pid] for name, pid in pids_before.items()}


@pytest.fixture
def scratch_stack_dir() -> Iterator[Path]:
    # Under the repo, not /tmp/pytest-of-*: Postgres runs as the `postgres` user when tests run
    # as root, and must be able to traverse to its data dir.
    state_dir = REPO_ROOT / ".state" / "test-lifecycle"
    LocalStack(state_dir, fixed_ports=False).down()
    shutil.rmtree(state_dir, ignore_errors=True)
    yield state_dir
    LocalStack(state_dir, fixed_ports=False).down()
    shutil.rmtree(state_dir, ignore_errors=True)


async def test_lifecycle_restart_busy_ports_and_down(scratch_stack_dir: Path) -> None:
    stack = LocalStack(scratch_stack_dir, fixed_ports=False)
    assert stack.endpoints() is None
    first = stack.up()
    assert stack.endpoints() == first
    pids = {s.name: s.pid for s in stack.status()}

    # A component that died is restarted; the healthy ones are kept.
    smtp_pid = pids["smtp"]
    assert smtp_pid is not None
    os.kill(smtp_pid, signal.SIGKILL)

    async def noticed_dead() -> bool:
        return stack.endpoints() is None

    await eventually(noticed_dead, within=5, what="the stack to notice smtp died", interval=0.05)
    assert stack.endpoints() is None
    second = stack.up()
    after = {s.name: s.pid for s in stack.status()}
    assert after["kafka"] == pids["kafka"]
    assert after["postgres"] == pids["postgres"]
    assert after["smtp"] != smtp_pid
    # Keycloak keeps running: it is told the SMTP server's new port through its admin API.
    assert after["keycloak"] == pids["keycloak"]
    assert second.kafka_bootstrap == first.kafka_bootstrap
    assert second.postgres_port == first.postgres_port

    # down() stops everything it started.
    stack.down()
    assert stack.endpoints() is None
    assert not (scratch_stack_dir / "state.json").exists()
    assert all(not s.running for s in stack.status())
    assert _component_processes(scratch_stack_dir) == {
        "kafka": [],
        "postgres": [],
        "smtp": [],
        "keycloak": [],
    }

    # Ports taken by someone else meanwhile: up() picks others (and keeps the data).
    kafka_port = int(first.kafka_bootstrap.rsplit(":", 1)[1])
    squatters = []
    keycloak_port = int(first.keycloak_url.rsplit(":", 1)[1])
    for port in (kafka_port, first.postgres_port, first.smtp_port, keycloak_port):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen()
        squatters.append(sock)
    try:
        third = stack.up()
    finally:
        for sock in squatters:
            sock.close()
    assert third.kafka_bootstrap != first.kafka_bootstrap
    assert third.postgres_port != first.postgres_port
    assert third.smtp_port != first.smtp_port
    assert third.keycloak_url != first.keycloak_url
    assert third.oidc_issuer_url == f"{third.keycloak_url}/realms/aihub"
    assert third.postgres_admin_dsn.split("@")[0] == first.postgres_admin_dsn.split("@")[0]
    assert stack.endpoints() == third
    assert all(s.healthy for s in stack.status())
    stack.down()
    assert _component_processes(scratch_stack_dir) == {
        "kafka": [],
        "postgres": [],
        "smtp": [],
        "keycloak": [],
    }
