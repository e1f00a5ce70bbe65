"""The local stack: Kafka, Postgres, the SMTP capture and Keycloak as background processes of one
state dir.

``LocalStack(state_dir).up()`` is idempotent: it reuses every process recorded in
``<state_dir>/state.json`` that is still running and healthy, starts the others, and blocks until
all of them serve. ``down()`` stops what it started. See ``deploy/local/README.md``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from aihub_local.component import HOST, Component, PortAllocator, ProcessRecord, StartupError
from aihub_local.kafka import KafkaComponent
from aihub_local.kafka_credentials import local_connection
from aihub_local.keycloak import BOOTSTRAP_ADMIN, KeycloakComponent
from aihub_local.paths import default_state_dir
from aihub_local.postgres import DATABASE, SUPERUSER, PostgresComponent
from aihub_local.procutil import spawn_daemon
from aihub_shared.kafka_access.table import TEST
from aihub_shared.runtime.kafka_client import KafkaConnection

#: One login role (and schema of the same name) per service; see
#: deploy/postgres/init/01-roles-and-schemas.sql. Dev-only passwords equal the role names.
SERVICE_ROLES = ("applications", "programs", "notifications")
#: Every login role of a process the launcher starts: the services' and the staff console's.
DB_ROLES = (*SERVICE_ROLES, "console")

STATE_FILE = "state.json"
STATE_FORMAT = 1


@dataclass(frozen=True)
class StackEndpoints:
    """Where the running infrastructure listens."""

    state_dir: Path
    kafka_bootstrap: str
    #: The local broker's SCRAM passwords (0600, generated per state dir; see kafka_credentials).
    kafka_credentials_file: Path
    postgres_host: str
    postgres_port: int
    postgres_database: str
    postgres_admin_dsn: str
    smtp_host: str
    smtp_port: int
    mail_dir: Path
    #: Keycloak's base URL (admin API, token endpoint) and the issuer of the ``aihub`` realm.
    keycloak_url: str
    oidc_issuer_url: str
    #: Keycloak's bootstrap admin of the ``master`` realm (local stacks only).
    keycloak_admin_user: str
    keycloak_admin_password: str

    def kafka_as(self, principal: str) -> KafkaConnection:
        """A client of the local broker as one principal of the access table (or `admin`)."""
        return local_connection(self.kafka_bootstrap, self.kafka_credentials_file, principal)

    @property
    def kafka(self) -> KafkaConnection:
        """The tests' own principal (`test` in the access table)."""
        return self.kafka_as(TEST.name)

    def service_database_url(self, service: str) -> str:
        """DSN of a service's own login role (dev password = role name)."""
        if service not in DB_ROLES:
            raise ValueError(f"unknown service {service!r}; expected one of {DB_ROLES}")
        return (
            f"postgresql://{service}:{quote(service, safe='')}@{self.postgres_host}:"
            f"{self.postgres_port}/{self.postgres_database}"
        )


class SmtpComponent(Component):
    name = "smtp"
    default_ports: ClassVar[dict[str, int]] = {"smtp": 1025}
    stop_timeout = 10.0
    startup_timeout = 30.0

    @property
    def mail_dir(self) -> Path:
        return self.state_dir / "mail"

    @property
    def log_file(self) -> Path:
        return self.dir / "smtp.log"

    def markers(self) -> list[str]:
        return ["aihub_local.smtp_capture", str(self.mail_dir)]

    def log_files(self) -> list[Path]:
        return [self.log_file]

    def prepare(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        for sub in ("tmp", "new", "cur"):
            (self.mail_dir / sub).mkdir(parents=True, exist_ok=True)

    def spawn(self, ports: dict[str, int]) -> int:
        src = str(Path(__file__).resolve().parents[1])
        python_path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": python_path}
        argv = [
            sys.executable,
            "-m",
            "aihub_local.smtp_capture",
            "--host",
            HOST,
            "--port",
            str(ports["smtp"]),
            "--maildir",
            str(self.mail_dir),
        ]
        return spawn_daemon(argv, log_file=self.log_file, env=env, cwd=self.dir)

    def probe(self, ports: dict[str, int]) -> bool:
        # Imported here: `python -m aihub_local.smtp_capture` must not find it imported already.
        from aihub_local.smtp_capture import smtp_accepts

        return smtp_accepts(HOST, ports["smtp"])


@dataclass(frozen=True)
class ComponentStatus:
    """One line of ``LocalStack.status()``."""

    name: str
    pid: int | None
    ports: dict[str, int]
    running: bool
    healthy: bool
    info: dict[str, str]


class LocalStack:
    """Kafka + Postgres + SMTP capture + Keycloak of one state directory."""

    def __init__(self, state_dir: Path, *, fixed_ports: bool = True) -> None:
        self.state_dir = Path(state_dir).resolve()
        self.fixed_ports = fixed_ports
        self._kafka = KafkaComponent(self.state_dir, fixed_ports=fixed_ports)
        self._postgres = PostgresComponent(self.state_dir, fixed_ports=fixed_ports)
        self._smtp = SmtpComponent(self.state_dir, fixed_ports=fixed_ports)
        self._keycloak = KeycloakComponent(self.state_dir, fixed_ports=fixed_ports)
        self._components: tuple[Component, ...] = (
            self._kafka,
            self._postgres,
            self._smtp,
            self._keycloak,
        )

    # -- state file --------------------------------------------------------------------------

    @property
    def state_file(self) -> Path:
        return self.state_dir / STATE_FILE

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialises up/down of this state dir across processes (e.g. parallel test runs)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with (self.state_dir / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _load_records(self) -> dict[str, ProcessRecord]:
        try:
            data: dict[str, Any] = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}
        if data.get("format") != STATE_FORMAT:
            return {}
        return {
            name: ProcessRecord.from_json(record)
            for name, record in dict(data.get("components", {})).items()
        }

    def _save_records(self, records: dict[str, ProcessRecord]) -> None:
        data = {
            "format": STATE_FORMAT,
            "fixed_ports": self.fixed_ports,
            "components": {name: record.to_json() for name, record in records.items()},
        }
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        tmp.chmod(0o600)  # the admin DSN can be rebuilt from it together with the password file
        tmp.replace(self.state_file)

    def _endpoints(self, records: dict[str, ProcessRecord]) -> StackEndpoints:
        pg_port = records["postgres"].ports["postgres"]
        password = quote(self._postgres.superuser_password(), safe="")
        return StackEndpoints(
            state_dir=self.state_dir,
            kafka_bootstrap=self._kafka.bootstrap(records["kafka"]),
            kafka_credentials_file=self._kafka.credentials_file,
            postgres_host=HOST,
            postgres_port=pg_port,
            postgres_database=DATABASE,
            postgres_admin_dsn=f"postgresql://{SUPERUSER}:{password}@{HOST}:{pg_port}/{DATABASE}",
            smtp_host=HOST,
            smtp_port=records["smtp"].ports["smtp"],
            mail_dir=self._smtp.mail_dir,
            keycloak_url=f"http://{HOST}:{records['keycloak'].ports['http']}",
            oidc_issuer_url=self._keycloak.issuer(records["keycloak"].ports),
            keycloak_admin_user=BOOTSTRAP_ADMIN,
            keycloak_admin_password=self._keycloak.admin_password(),
        )

    # -- public API --------------------------------------------------------------------------

    def up(self) -> StackEndpoints:
        """Start whatever is not running and healthy; block until everything serves.

        Kafka answers metadata requests, Postgres accepts connections with the roles and
        schemas provisioned, the SMTP capture greets, and Keycloak's realm is ready. Keycloak
        starts once Postgres and SMTP serve (it stores its data in Postgres, mails through SMTP).
        """
        with self._locked():
            previous = self._load_records()
            ports = PortAllocator()
            for component in self._components:
                record = previous.get(component.name)
                if record is not None and component.is_ours(record):
                    ports.reserve(record.ports.values())
            records: dict[str, ProcessRecord] = {}
            errors: dict[str, BaseException] = {}

            def collect(name: str, future: Future[ProcessRecord]) -> None:
                try:
                    records[name] = future.result()
                except Exception as exc:  # collect every failure, keep what started
                    errors[name] = exc

            with ThreadPoolExecutor(max_workers=len(self._components)) as pool:
                futures = {
                    c.name: pool.submit(c.ensure, previous.get(c.name), ports)
                    for c in self._components
                    if c is not self._keycloak
                }
                collect("postgres", futures.pop("postgres"))
                collect("smtp", futures.pop("smtp"))
                if "postgres" in records and "smtp" in records:
                    collect(
                        "keycloak", pool.submit(self._ensure_keycloak, previous, records, ports)
                    )
                for name, future in futures.items():
                    collect(name, future)
            self._save_records(records)
            if errors:
                detail = "\n\n".join(f"[{name}] {exc}" for name, exc in errors.items())
                raise StartupError(f"local stack did not come up ({', '.join(errors)}):\n{detail}")
            return self._endpoints(records)

    def _ensure_keycloak(
        self,
        previous: dict[str, ProcessRecord],
        records: dict[str, ProcessRecord],
        ports: PortAllocator,
    ) -> ProcessRecord:
        self._keycloak.depend_on(
            postgres_port=records["postgres"].ports["postgres"],
            smtp_port=records["smtp"].ports["smtp"],
        )
        recorded = previous.get("keycloak")
        if recorded is not None and not self._keycloak.matches_dependencies(recorded):
            # Postgres moved to another port: a restart picks it up, on Keycloak's own ports, so
            # the issuer URL that tokens and the services' settings carry stays the same.
            self._keycloak.stop(recorded)
            ports.release(recorded.ports.values())
        return self._keycloak.ensure(recorded, ports)

    def down(self) -> None:
        """Stop every process of this state dir: graceful signal, wait, SIGKILL as last resort.

        Data (Kafka log, Postgres cluster, Maildir) stays on disk for the next ``up()``.
        """
        with self._locked():
            previous = self._load_records()
            with ThreadPoolExecutor(max_workers=len(self._components)) as pool:
                futures = [pool.submit(c.stop, previous.get(c.name)) for c in self._components]
                for future in futures:
                    future.result()
            self.state_file.unlink(missing_ok=True)

    def endpoints(self) -> StackEndpoints | None:
        """The endpoints recorded in the state file, or None unless every process is running."""
        records = self._load_records()
        for component in self._components:
            if not component.is_ours(records.get(component.name)):
                return None
        return self._endpoints(records)

    def status(self) -> list[ComponentStatus]:
        """Per component: recorded pid and ports, whether it runs and answers its health check."""
        records = self._load_records()
        result = []
        for component in self._components:
            record = records.get(component.name)
            running = component.is_ours(record)
            healthy = running and record is not None and component.probe(record.ports)
            result.append(
                ComponentStatus(
                    name=component.name,
                    pid=record.pid if record else None,
                    ports=dict(record.ports) if record else {},
                    running=running,
                    healthy=healthy,
                    info=dict(record.info) if record else {},
                )
            )
        return result


def dev_stack() -> LocalStack:
    """The developer's stack: ``$AIHUB_STATE_DIR`` or ``<repo>/.state/dev``, stable ports."""
    return LocalStack(default_state_dir(), fixed_ports=True)


__all__ = [
    "DB_ROLES",
    "SERVICE_ROLES",
    "ComponentStatus",
    "LocalStack",
    "StackEndpoints",
    "dev_stack",
]
