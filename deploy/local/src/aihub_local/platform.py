"""The platform on top of the infrastructure: topics, the catalog seed, the three services and
the staff console.

`./dev up` and the end-to-end tests both start the services through `PlatformServices`, so what
a person tries is what the tests prove.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet

from aihub_local.processes import ManagedProcess, wait_http_ok
from aihub_local.stack import SERVICE_ROLES, StackEndpoints
from aihub_local.staff_accounts import admin_client, invitations_client_secret, local_token

#: The staff console: a web app over the services' APIs, started after them.
CONSOLE = "console"
#: What `up` starts, in order.
PLATFORM_PROCESSES = (*SERVICE_ROLES, CONSOLE)
#: 8010 is the console address the realm's `aihub-console` client allows out of the box.
DEV_HTTP_PORTS = {"applications": 8001, "programs": 8002, "notifications": 8003, CONSOLE: 8010}
PIDS_FILE = "services.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _console_script(name: str) -> str:
    """The service's console script next to this interpreter (the project's venv)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def service_env(endpoints: StackEndpoints, service: str, *, http_port: int) -> dict[str, str]:
    """Exactly the variables the service reads (see its Settings and docker-compose.yml)."""
    env = {
        **endpoints.kafka_as(service).environment(),  # each service its own principal
        f"{service.upper()}_DATABASE_URL": endpoints.service_database_url(service),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(http_port),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "OIDC_ISSUER_URL": endpoints.oidc_issuer_url,
    }
    if service == "notifications":
        env["SMTP_HOST"] = endpoints.smtp_host
        env["SMTP_PORT"] = str(endpoints.smtp_port)
        # Keycloak generated it when it imported the realm; only the stack's admin can read it.
        env["INVITATIONS_CLIENT_SECRET"] = invitations_client_secret(endpoints)
    return env


def console_env(
    endpoints: StackEndpoints, *, http_port: int, service_urls: dict[str, str]
) -> dict[str, str]:
    """What the console reads (its Settings, docker-compose.yml): its own database role, the
    three services' addresses, Keycloak's client `aihub-console` and its secret, the file of
    the keys sealing its sessions (made once per state directory). Local http: the session
    cookie cannot be `Secure`."""
    base_url = f"http://127.0.0.1:{http_port}"
    admin = admin_client(endpoints)
    try:
        # The realm allows http://127.0.0.1:8010; a console elsewhere (tests) is added.
        admin.allow_redirects_to("aihub-console", base_url)
        secret = admin.client_secret("aihub-console")
    finally:
        admin.close()
    return {
        "CONSOLE_BASE_URL": base_url,
        "CONSOLE_DATABASE_URL": endpoints.service_database_url(CONSOLE),
        "APPLICATIONS_URL": service_urls["applications"],
        "PROGRAMS_URL": service_urls["programs"],
        "NOTIFICATIONS_URL": service_urls["notifications"],
        "OIDC_ISSUER_URL": endpoints.oidc_issuer_url,
        "OIDC_CLIENT_SECRET": secret,
        "SESSION_ENCRYPTION_KEYS_FILE": str(console_session_keys(endpoints.state_dir)),
        "SESSION_COOKIE_SECURE": "false",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(http_port),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
    }


#: The local console's session-sealing key: generated once per state directory (0600), never in
#: the repo; a deployment gives its own through a secret.
CONSOLE_SESSION_KEYS_FILE = "console-session-keys"


def console_session_keys(state_dir: Path) -> Path:
    """The file of the local console's session keys, with a new key if there is none yet."""
    path = state_dir / CONSOLE_SESSION_KEYS_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(Fernet.generate_key().decode() + "\n")
        tmp.replace(path)
    return path


def create_topics(endpoints: StackEndpoints) -> list[str]:
    from aihub_shared.contracts.topics_admin import ensure_topics

    return asyncio.run(ensure_topics(endpoints.kafka_as("ops")))


def seed_catalog(
    endpoints: StackEndpoints, catalog_file: Path | None = None, *, log_file: Path | None = None
) -> str:
    """Run `aihub-programs seed`, the same command compose runs; returns its output."""
    args = ["seed"] + (["--file", str(catalog_file)] if catalog_file is not None else [])
    return programs_command(endpoints, args, log_file=log_file)


def programs_command(
    endpoints: StackEndpoints, args: list[str], *, log_file: Path | None = None
) -> str:
    """Run `aihub-programs ARGS...` (seed, republish) as the programs service; its output."""
    argv = [_console_script("aihub-programs"), *args]
    env = {
        **os.environ,
        **service_env(
            endpoints,
            "programs",
            http_port=DEV_HTTP_PORTS["programs"],
        ),
        "LOG_JSON": "false",
    }
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, timeout=120)
    if log_file is not None:
        with log_file.open("a", encoding="utf-8") as log:
            log.write(done.stdout + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"aihub-programs {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout.strip()


@dataclass
class PlatformServices:
    """The three services and the console as OS processes, each with its HTTP port."""

    endpoints: StackEndpoints
    log_dir: Path
    http_ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, ManagedProcess] = field(default_factory=dict)

    def admin_token(self) -> str:
        """A fresh access token of the local demo admin, from Keycloak."""
        return local_token(self.endpoints, email="admin@hub.example", role="admin")

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.http_ports[service]}"

    def process(self, service: str) -> ManagedProcess:
        return self.processes[service]

    def start(
        self,
        service: str,
        *,
        ready_timeout: float = 60.0,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        """Start (or start again) a service; `extra_env` holds for this run only (a crash test
        arms a failpoint with it)."""
        if service in self.processes and self.processes[service].is_running():
            raise RuntimeError(f"{service} is already running")
        port = self.http_ports.setdefault(service, free_port())
        if service == CONSOLE:
            if not all(name in self.http_ports for name in SERVICE_ROLES):
                raise RuntimeError("the console needs the three services: start them first")
            urls = {name: self.url(name) for name in SERVICE_ROLES}
            env = console_env(self.endpoints, http_port=port, service_urls=urls)
        else:
            env = service_env(self.endpoints, service, http_port=port)
        if service == "notifications":
            # Its staff mails link to the console, which starts later on a port chosen now.
            console_port = self.http_ports.setdefault(CONSOLE, free_port())
            env["CONSOLE_BASE_URL"] = f"http://127.0.0.1:{console_port}"
        process = ManagedProcess(
            service,
            [_console_script(f"aihub-{service}"), "serve"],
            {**env, **(extra_env or {})},
            self.log_dir / f"{service}.log",
        )
        self.processes[service] = process
        process.start()
        try:
            wait_http_ok(self.url(service) + "/health/ready", timeout=ready_timeout)
        except TimeoutError as exc:
            raise TimeoutError(f"{service} not ready; see {process.log_file}") from exc

    def start_all(self) -> None:
        """The three services (the console, which needs them, with `start(CONSOLE)`)."""
        for service in SERVICE_ROLES:
            self.start(service)

    def stop_all(self) -> dict[str, int | None]:
        return {name: p.terminate() for name, p in self.processes.items() if p.is_running()}

    def record(self, path: Path) -> None:
        """Remember pids and ports so `aihub-local down` can stop services it did not start."""
        path.write_text(
            json.dumps(
                {n: {"pid": p.pid, "port": self.http_ports[n]} for n, p in self.processes.items()}
            )
        )


def recorded_services(state_dir: Path) -> dict[str, dict[str, int]]:
    """Service name → `pid` and `port`, as the last `up` or `restart` recorded them."""
    path = state_dir / PIDS_FILE
    if not path.exists():
        return {}
    recorded: dict[str, dict[str, int]] = json.loads(path.read_text())
    return recorded


def record_service(state_dir: Path, name: str, *, pid: int, port: int) -> None:
    """Record one service next to the others (`restart` replaces one line of the file)."""
    recorded = recorded_services(state_dir)
    recorded[name] = {"pid": pid, "port": port}
    (state_dir / PIDS_FILE).write_text(json.dumps(recorded))


def stop_recorded_service(state_dir: Path, name: str, *, timeout: float = 20.0) -> bool:
    """Stop one recorded service; True if it was running. Its record stays (port for restart)."""
    info = recorded_services(state_dir).get(name)
    return info is not None and _stop_process_group(int(info["pid"]), timeout)


def stop_recorded_services(state_dir: Path, *, timeout: float = 20.0) -> list[str]:
    """Stop services recorded by an earlier `up` (SIGTERM to each process group, then SIGKILL)."""
    stopped = [
        name
        for name, info in recorded_services(state_dir).items()
        if _stop_process_group(int(info["pid"]), timeout)
    ]
    (state_dir / PIDS_FILE).unlink(missing_ok=True)
    return stopped


def _stop_process_group(pid: int, timeout: float) -> bool:
    """SIGTERM the group, wait up to `timeout`, then SIGKILL; False if it was gone already."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    return True
