"""Low-level helpers for background processes and TCP ports (Linux ``/proc`` based)."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

# Daemons this interpreter spawned, kept so that they are reaped (no zombies) and Popen does not
# warn about children still running when its object is collected.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def pid_alive(pid: int) -> bool:
    """True when ``pid`` exists and is not a zombie.

    A zombie that is our own child is reaped on the way, so a process this interpreter started
    and that has exited is reported dead.
    """
    if pid <= 0:
        return False
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        del _CHILDREN[pid]
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state letter follows the parenthesised command name, which may contain spaces.
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X")


def wait_reaped(pid: int, timeout: float) -> bool:
    """Wait until ``pid`` is gone from the process table, zombie included; False on timeout.

    A process killed a moment ago stays a zombie until its parent reaps it (ours at once, an
    orphan whenever PID 1 gets to it), and ``kill(pid, 0)`` still finds it meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        pid_alive(pid)  # reaps it if it is our own child
        if not Path(f"/proc/{pid}").exists():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def cmdline(pid: int) -> list[str]:
    """The argv of ``pid`` (empty when unreadable)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def pid_matches(pid: int, markers: Iterable[str]) -> bool:
    """True when ``pid`` is alive and every marker occurs in its command line.

    Guards against pid reuse: a recorded pid only counts as ours when its command line still
    names our config file / data directory.
    """
    if not pid_alive(pid):
        return False
    line = " ".join(cmdline(pid))
    return all(marker in line for marker in markers)


def find_pids(markers: Iterable[str]) -> list[int]:
    """Every live process whose command line contains all ``markers``."""
    wanted = list(markers)
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            pid = int(entry.name)
            if pid != os.getpid() and pid_matches(pid, wanted):
                found.append(pid)
    return sorted(found)


def wait_pid_exit(pid: int, timeout: float) -> bool:
    """Wait until ``pid`` is gone; True if it went away within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.1)
    return not pid_alive(pid)


def _signal(pid: int, sig: int, *, group: bool) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if group:
            try:
                pgid = os.getpgid(pid)
            except ProcessLookupError:
                return
            if pgid == pid:  # only signal groups the process leads (started with a new session)
                os.killpg(pgid, sig)
                return
        os.kill(pid, sig)


def stop_pid(
    pid: int,
    *,
    sig: int = signal.SIGTERM,
    timeout: float = 30.0,
    kill_timeout: float = 10.0,
) -> bool:
    """Stop ``pid`` gracefully: ``sig``, wait ``timeout``, then SIGKILL its process group.

    Returns True when the process stopped on the graceful signal, False when it needed SIGKILL.
    """
    if not pid_alive(pid):
        return True
    _signal(pid, sig, group=False)
    if wait_pid_exit(pid, timeout):
        return True
    _signal(pid, signal.SIGKILL, group=True)
    wait_pid_exit(pid, kill_timeout)
    return False


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when a server could bind ``host:port`` now (also false for a wildcard listener)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Servers set SO_REUSEADDR, so TIME_WAIT leftovers must not count as "busy".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def free_port(host: str = "127.0.0.1", avoid: Iterable[int] = ()) -> int:
    """A port the kernel reports free right now (not in ``avoid``)."""
    avoided = set(avoid)
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port: int = sock.getsockname()[1]
        if port not in avoided:
            return port
    raise RuntimeError("could not find a free TCP port")


def tcp_accepts(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when something accepts a TCP connection on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log file, for error messages."""
    try:
        data = path.read_bytes()
    except OSError:
        return f"(no log at {path})"
    text = data[-64_000:].decode(errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def spawn_daemon(
    argv: list[str],
    *,
    log_file: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> int:
    """Start ``argv`` detached (own session, stdin closed, output appended to ``log_file``).

    The child outlives this interpreter; only its pid is returned. ``user`` runs it as another OS
    user (needs root), via ``setuid`` in the child, without a wrapper process in between.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
            user=user,
            group=user,
            extra_groups=[] if user else None,
        )
    # The process belongs to the state directory, not to this interpreter: nothing waits for it,
    # but pid_alive() polls (and so reaps) it while we are still its parent.
    _CHILDREN[proc.pid] = proc
    return proc.pid
