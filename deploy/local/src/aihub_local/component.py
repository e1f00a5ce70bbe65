"""What every piece of infrastructure (Kafka, Postgres, SMTP) has in common.

A component is one background OS process. ``ensure()`` reuses the recorded process when it is
still ours and healthy, otherwise (re)starts it on a port that is free, and returns the record
(pid, ports) that ``LocalStack`` keeps in its state file.
"""

from __future__ import annotations

import signal
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from aihub_local.procutil import (
    find_pids,
    free_port,
    pid_alive,
    pid_matches,
    port_is_free,
    stop_pid,
    tail,
)

HOST = "127.0.0.1"


class StartupError(RuntimeError):
    """A component did not become healthy."""


@dataclass
class ProcessRecord:
    """What the state file remembers about one running component."""

    pid: int
    ports: dict[str, int]
    info: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "ports": dict(self.ports), "info": dict(self.info)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProcessRecord:
        return cls(
            pid=int(data["pid"]),
            ports={str(k): int(v) for k, v in dict(data["ports"]).items()},
            info={str(k): str(v) for k, v in dict(data.get("info", {})).items()},
        )


class PortAllocator:
    """Hands out TCP ports for one ``up()``: preferred ports when free, else kernel-chosen ones."""

    def __init__(self) -> None:
        self._taken: set[int] = set()
        self._lock = threading.Lock()

    def reserve(self, ports: Iterable[int]) -> None:
        with self._lock:
            self._taken.update(ports)

    def release(self, ports: Iterable[int]) -> None:
        """Ports of a process we stopped: free for its successor to take again."""
        with self._lock:
            self._taken.difference_update(ports)

    def pick(self, preferred: Iterable[int | None]) -> int:
        with self._lock:
            for port in preferred:
                if port and port not in self._taken and port_is_free(port, HOST):
                    self._taken.add(port)
                    return port
            port = free_port(HOST, avoid=self._taken)
            self._taken.add(port)
            return port


class Component(ABC):
    """One managed background process of the stack."""

    name: ClassVar[str]
    #: port name -> default port of the developer stack (``fixed_ports=True``)
    default_ports: ClassVar[dict[str, int]]
    stop_signal: int = signal.SIGTERM
    stop_timeout: float = 30.0
    startup_timeout: float = 120.0

    def __init__(self, state_dir: Path, *, fixed_ports: bool) -> None:
        self.state_dir = state_dir
        self.dir = state_dir / self.name
        self.fixed_ports = fixed_ports

    # -- what each component defines -------------------------------------------------------

    @abstractmethod
    def markers(self) -> list[str]:
        """Strings that occur in our process's command line (and in no one else's)."""

    @abstractmethod
    def prepare(self) -> None:
        """Install binaries and initialise data; idempotent, run before every start."""

    @abstractmethod
    def spawn(self, ports: dict[str, int]) -> int:
        """Start the process in the background and return its pid."""

    @abstractmethod
    def probe(self, ports: dict[str, int]) -> bool:
        """One quick health check; True when the component serves requests."""

    @abstractmethod
    def log_files(self) -> list[Path]:
        """Log files worth showing when the component fails."""

    def after_ready(self, record: ProcessRecord) -> None:  # noqa: B027 - optional hook
        """Provisioning that needs the running process (idempotent)."""

    def record_info(self, ports: dict[str, int]) -> dict[str, str]:
        """Extra facts for the state file."""
        return {}

    # -- shared behaviour ------------------------------------------------------------------

    def is_ours(self, record: ProcessRecord | None) -> bool:
        return record is not None and pid_matches(record.pid, self.markers())

    def _wait_ready(self, pid: int, ports: dict[str, int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not pid_alive(pid):
                raise StartupError(f"{self.name} (pid {pid}) exited during startup")
            if self.probe(ports):
                return
            if time.monotonic() > deadline:
                raise StartupError(f"{self.name} (pid {pid}) not healthy after {timeout:.0f}s")
            time.sleep(0.25)

    def _failure_details(self) -> str:
        parts = [f"--- {log} (tail) ---\n{tail(log)}" for log in self.log_files() if log.exists()]
        return "\n".join(parts)

    def _preferred(self, port_name: str, previous: ProcessRecord | None) -> list[int | None]:
        recorded = previous.ports.get(port_name) if previous else None
        if self.fixed_ports:
            return [self.default_ports[port_name], recorded]
        return [recorded]

    def ensure(self, previous: ProcessRecord | None, ports: PortAllocator) -> ProcessRecord:
        """Reuse the recorded process when it is ours and healthy, else start a fresh one."""
        if previous is not None and self.is_ours(previous):
            try:
                self._wait_ready(previous.pid, previous.ports, self.startup_timeout)
                # A process that answers its probe but cannot do its work (Keycloak whose admin
                # API fails) is restarted too.
                self.after_ready(previous)
            except StartupError:
                stop_pid(previous.pid, sig=self.stop_signal, timeout=self.stop_timeout)
                # Its successor takes the same ports: clients (and Keycloak's issuer URL, which
                # every token carries) keep their addresses.
                ports.release(previous.ports.values())
            else:
                return previous
        # A process of ours that the state file lost track of would hold the data directory.
        for orphan in find_pids(self.markers()):
            stop_pid(orphan, sig=self.stop_signal, timeout=self.stop_timeout)

        self.prepare()
        last_error: StartupError | None = None
        for _attempt in range(3):
            chosen = {
                name: ports.pick(self._preferred(name, previous)) for name in self.default_ports
            }
            pid = self.spawn(chosen)
            try:
                self._wait_ready(pid, chosen, self.startup_timeout)
            except StartupError as exc:
                stop_pid(pid, sig=self.stop_signal, timeout=self.stop_timeout)
                last_error = exc
                # Lost a race for a port (someone bound it after we probed): try other ports.
                if any(not port_is_free(port, HOST) for port in chosen.values()):
                    previous = None
                    continue
                break
            record = ProcessRecord(pid=pid, ports=chosen, info=self.record_info(chosen))
            self.after_ready(record)
            return record
        raise StartupError(f"{last_error}\n{self._failure_details()}") from last_error

    def stop(self, record: ProcessRecord | None) -> None:
        """Stop our process (graceful signal, then SIGKILL as a last resort)."""
        if record is not None and self.is_ours(record):
            stop_pid(record.pid, sig=self.stop_signal, timeout=self.stop_timeout)
        for orphan in find_pids(self.markers()):
            stop_pid(orphan, sig=self.stop_signal, timeout=self.stop_timeout)
