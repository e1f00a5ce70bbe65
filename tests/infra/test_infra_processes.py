"""ManagedProcess and wait_http_ok, on real child processes."""

from __future__ import annotations

import os
import socket
import sys
import textwrap
import time
from pathlib import Path

import pytest

from aihub_local.processes import ManagedProcess, wait_http_ok
from aihub_local.procutil import pid_alive, wait_pid_exit
from aihub_local.testing import eventually

pytestmark = pytest.mark.integration

GRACEFUL = textwrap.dedent(
    """
    import os, signal, sys, time
    def bye(signum, frame):
        print("got SIGTERM, flushing", flush=True)
        sys.exit(0)
    signal.signal(signal.SIGTERM, bye)
    print("ready", os.environ["AIHUB_TEST_VALUE"], flush=True)
    while True:
        time.sleep(0.1)
    """
)

STUBBORN = textwrap.dedent(
    """
    import signal, subprocess, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen(["sleep", "300"])
    print("ready child", child.pid, flush=True)
    while True:
        time.sleep(0.1)
    """
)


def _lines(log: Path, prefix: str) -> list[str]:
    if not log.exists():
        return []
    return [line for line in log.read_text().splitlines() if line.startswith(prefix)]


async def _wait_for_line(log: Path, prefix: str, occurrence: int = 1) -> str:
    """The ``occurrence``-th line of ``log`` starting with ``prefix`` (waits for it)."""

    async def appeared() -> str | None:
        found = _lines(log, prefix)
        return found[occurrence - 1] if len(found) >= occurrence else None

    return await eventually(
        appeared, within=15, what=f"{prefix!r} #{occurrence} in {log}", interval=0.05
    )


async def test_terminate_lets_the_process_shut_down_gracefully(tmp_path: Path) -> None:
    log = tmp_path / "graceful.log"
    proc = ManagedProcess(
        "graceful", [sys.executable, "-c", GRACEFUL], {"AIHUB_TEST_VALUE": "42"}, log
    )
    assert (proc.pid, proc.is_running()) == (None, False)
    proc.start()
    assert proc.is_running()
    pid = proc.pid
    assert pid is not None
    assert os.getpgid(pid) == pid  # its own process group
    assert await _wait_for_line(log, "ready") == "ready 42"
    assert proc.terminate(timeout=10) == 0
    assert not proc.is_running()
    assert _lines(log, "got SIGTERM, flushing") == ["got SIGTERM, flushing"]
    assert proc.pid == pid

    # Restarting appends to the same log.
    proc.start()
    assert proc.pid != pid
    await _wait_for_line(log, "ready", occurrence=2)
    assert proc.terminate() == 0
    assert len(_lines(log, "got SIGTERM, flushing")) == 2


async def test_terminate_falls_back_to_sigkill_for_the_whole_group(tmp_path: Path) -> None:
    log = tmp_path / "stubborn.log"
    proc = ManagedProcess("stubborn", [sys.executable, "-c", STUBBORN], {}, log)
    proc.start()
    grandchild = int((await _wait_for_line(log, "ready child")).split()[-1])
    assert pid_alive(grandchild)
    started = time.monotonic()
    assert proc.terminate(timeout=1.0) == -9
    assert time.monotonic() - started >= 1.0
    assert not proc.is_running()
    wait_pid_exit(grandchild, timeout=5)
    assert not pid_alive(grandchild)


async def test_kill_is_immediate(tmp_path: Path) -> None:
    proc = ManagedProcess(
        "victim", [sys.executable, "-c", GRACEFUL], {"AIHUB_TEST_VALUE": "x"}, tmp_path / "v.log"
    )
    proc.start()
    await _wait_for_line(tmp_path / "v.log", "ready")
    proc.kill()
    assert not proc.is_running()
    assert proc.returncode == -9
    assert _lines(tmp_path / "v.log", "got SIGTERM") == []
    assert proc.terminate() == -9  # terminating a dead process just reports its exit


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_wait_http_ok(tmp_path: Path) -> None:
    port = _free_port()
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "index.html").write_text("ok")
    server = ManagedProcess(
        "http",
        [
            sys.executable,
            "-m",
            "http.server",
            str(port),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(tmp_path / "www"),
        ],
        {},
        tmp_path / "http.log",
    )
    with server:
        wait_http_ok(f"http://127.0.0.1:{port}/index.html", timeout=15)
        with pytest.raises(TimeoutError, match="HTTP 404"):
            wait_http_ok(f"http://127.0.0.1:{port}/missing", timeout=1)
    assert not server.is_running()
    with pytest.raises(TimeoutError, match="refused"):
        wait_http_ok(f"http://127.0.0.1:{port}/", timeout=1)
