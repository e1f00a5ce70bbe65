"""Starting our own Python services as background processes (``./dev up`` and the e2e tests)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType


class ManagedProcess:
    """One child process in its own process group, output appended to ``log_file``.

    ``env`` is added to (and overrides) this process's environment. Unlike the infrastructure
    of ``LocalStack``, a managed process belongs to the Python object that started it.
    """

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_file: Path) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.log_file = Path(log_file)
        self._proc: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"ManagedProcess({self.name!r}, pid={self.pid}, running={self.is_running()})"

    @property
    def pid(self) -> int | None:
        """Pid of the last start (also after it exited), None before the first start."""
        return self._proc.pid if self._proc is not None else None

    @property
    def returncode(self) -> int | None:
        """Exit status once it has exited (negative signal number when killed by a signal)."""
        return self._proc.poll() if self._proc is not None else None

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start in a new session / process group; stdout and stderr go to ``log_file``."""
        if self.is_running():
            raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            log.write(f"=== {stamp} starting {self.name}: {' '.join(self.argv)}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                self.argv,
                env={**os.environ, **self.env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )

    def _kill_group(self) -> None:
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, signal.SIGKILL)

    def terminate(self, timeout: float = 20.0) -> int | None:
        """SIGTERM the process, wait up to ``timeout`` s, then SIGKILL its whole process group.

        Returns the exit code (``-9`` when it had to be killed); None if it was never started.
        Leftover processes of its group are killed once it has exited.
        """
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._kill_group()
                proc.wait()
        self._kill_group()  # stragglers (grandchildren) in the group
        return proc.returncode

    def kill(self) -> None:
        """SIGKILL the whole process group at once (for crash tests) and reap the process."""
        if self._proc is None:
            return
        self._kill_group()
        self._proc.wait()

    def __enter__(self) -> ManagedProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.terminate()


def wait_http_ok(url: str, timeout: float) -> None:
    """Poll ``url`` until it answers 200; raise TimeoutError naming the last error otherwise."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    deadline = time.monotonic() + timeout
    last_error = "no attempt made"
    while True:
        remaining = deadline - time.monotonic()
        try:
            with urllib.request.urlopen(url, timeout=max(0.5, min(5.0, remaining))) as response:  # noqa: S310 - scheme checked above
                if response.status == 200:
                    return
                last_error = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last_error = f"HTTP {exc.code}: {exc.reason}"
        except (urllib.error.URLError, OSError) as exc:
            last_error = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{url} did not answer 200 within {timeout:g}s; last: {last_error}")
        time.sleep(0.2)
