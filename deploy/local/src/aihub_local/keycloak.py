"""Keycloak, the platform's OpenID Connect provider, run from its Maven Central distribution.

Its data lives in the platform's Postgres (the ``keycloak`` login role and schema of
``deploy/postgres/init``); the realm ``aihub`` is imported from ``deploy/keycloak/`` on the first
start (an existing realm is left as it is). Each stack gets its own Keycloak home
(``<state>/keycloak/home``: the ``data/`` folder, links to the shared built distribution), so two
stacks never share Keycloak's working files.
"""

from __future__ import annotations

import os
import secrets
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import ClassVar

from aihub_local.component import HOST, Component, ProcessRecord, StartupError
from aihub_local.keycloak_admin import KeycloakAdmin, KeycloakAdminError
from aihub_local.keycloak_dist import ensure_keycloak_home, keycloak_version
from aihub_local.paths import repo_root
from aihub_local.postgres import DATABASE
from aihub_local.procutil import spawn_daemon
from aihub_local.system import java_binary

REALM = "aihub"
#: Keycloak's own Postgres login role; dev-only password = role name, like the services'.
DB_ROLE = "keycloak"
BOOTSTRAP_ADMIN = "aihub-local-admin"
_SHARED_PARTS = ("lib", "themes", "providers", "conf")
#: How every Keycloak of the platform starts (compose's too): on the distribution built once
#: (``keycloak_dist``), so no build step at start; the realm imported unless it exists; one node,
#: so a local cache instead of the default ``ispn`` (an Infinispan cluster with JGroups discovery
#: through the database, ports 7800/57800 bound on every address).
START_COMMAND = ("start", "--optimized", "--import-realm", "--cache=local")


def realm_dir() -> Path:
    """``deploy/keycloak``: the realm as code, shared by the launcher, compose and k8s."""
    return repo_root() / "deploy" / "keycloak"


class KeycloakComponent(Component):
    name = "keycloak"
    default_ports: ClassVar[dict[str, int]] = {"http": 8180, "management": 9180}
    stop_timeout = 30.0
    startup_timeout = 180.0  # first start creates the schema and imports the realm

    def __init__(self, state_dir: Path, *, fixed_ports: bool) -> None:
        super().__init__(state_dir, fixed_ports=fixed_ports)
        self.postgres_port = 0
        self.smtp_port = 0

    def depend_on(self, *, postgres_port: int, smtp_port: int) -> None:
        """Where this start finds Postgres and the SMTP server (set before ``ensure``)."""
        self.postgres_port = postgres_port
        self.smtp_port = smtp_port

    @property
    def home(self) -> Path:
        return self.dir / "home"

    @property
    def log_file(self) -> Path:
        return self.dir / "keycloak.log"

    @property
    def admin_password_file(self) -> Path:
        return self.dir / "bootstrap-admin-password"

    def admin_password(self) -> str:
        return self.admin_password_file.read_text().strip()

    def markers(self) -> list[str]:
        return ["io.quarkus.bootstrap.runner.QuarkusEntryPoint", f"-Dkc.home.dir={self.home}"]

    def log_files(self) -> list[Path]:
        return [self.log_file]

    def prepare(self) -> None:
        self._java = java_binary()
        self._dist = ensure_keycloak_home()
        self.home.mkdir(parents=True, exist_ok=True)
        for part in _SHARED_PARTS:
            link = self.home / part
            if link.is_symlink() and link.resolve() == (self._dist / part).resolve():
                continue
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(self._dist / part)
        imports = self.home / "data" / "import"
        shutil.rmtree(imports, ignore_errors=True)
        imports.mkdir(parents=True)
        for realm_file in realm_dir().glob("*-realm.json"):
            shutil.copy(realm_file, imports / realm_file.name)
        if not self.admin_password_file.exists():
            self.admin_password_file.write_text(secrets.token_urlsafe(18) + "\n")
            self.admin_password_file.chmod(0o600)

    def admin(self, record: ProcessRecord) -> KeycloakAdmin:
        """An admin API client signed in as this stack's bootstrap admin."""
        url = f"http://{HOST}:{record.ports['http']}"
        return KeycloakAdmin(url, BOOTSTRAP_ADMIN, self.admin_password())

    def after_ready(self, record: ProcessRecord) -> None:
        admin = self.admin(record)
        try:
            admin.ensure_dev_client()
            # The SMTP capture may have moved to another port since the realm was imported.
            admin.set_smtp_server(HOST, self.smtp_port)
        except KeycloakAdminError as exc:
            raise StartupError(f"[keycloak] {exc}") from exc
        finally:
            admin.close()

    def issuer(self, ports: dict[str, int]) -> str:
        return f"http://{HOST}:{ports['http']}/realms/{REALM}"

    def spawn(self, ports: dict[str, int]) -> int:
        if not self.postgres_port:
            raise RuntimeError("keycloak needs the Postgres port (depend_on) before it starts")
        heap = os.environ.get("AIHUB_KEYCLOAK_HEAP", "384m")
        argv = [
            self._java,
            "-Xms64m",
            f"-Xmx{heap}",
            "-XX:MetaspaceSize=96M",
            "-XX:MaxMetaspaceSize=256m",
            "-XX:+UseSerialGC",  # two cores, one small heap: the cheapest collector
            "-XX:TieredStopAtLevel=1",  # faster start, ample speed for a local identity provider
            "-XX:+ExitOnOutOfMemoryError",
            "-Dfile.encoding=UTF-8",
            "-Djava.security.egd=file:/dev/urandom",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.security=ALL-UNNAMED",
            "-Duser.language=en",
            "-Duser.country=US",
            f"-Dkc.home.dir={self.home}",
            f"-Djboss.server.config.dir={self.home / 'conf'}",
            "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
            "-Dpicocli.disable.closures=true",
            "-cp",
            str(self._dist / "lib" / "quarkus-run.jar"),
            "io.quarkus.bootstrap.runner.QuarkusEntryPoint",
            *START_COMMAND,
            "--http-enabled=true",
            f"--http-host={HOST}",
            f"--http-port={ports['http']}",
            f"--http-management-port={ports['management']}",
            f"--hostname=http://{HOST}:{ports['http']}",
            f"--db-url=jdbc:postgresql://{HOST}:{self.postgres_port}/{DATABASE}",
            f"--db-schema={DB_ROLE}",
            f"--db-username={DB_ROLE}",
            "--db-pool-max-size=10",
        ]
        env = {
            **os.environ,
            # Secrets through the environment, never the command line (ps shows it to everyone).
            "KC_DB_PASSWORD": DB_ROLE,
            "KC_BOOTSTRAP_ADMIN_USERNAME": BOOTSTRAP_ADMIN,
            "KC_BOOTSTRAP_ADMIN_PASSWORD": self.admin_password(),
            # Placeholders of deploy/keycloak/aihub-realm.json.
            "AIHUB_SMTP_HOST": HOST,
            "AIHUB_SMTP_PORT": str(self.smtp_port),
        }
        return spawn_daemon(argv, log_file=self.log_file, env=env, cwd=self.dir)

    def probe(self, ports: dict[str, int]) -> bool:
        url = f"http://{HOST}:{ports['management']}/health/ready"
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def record_info(self, ports: dict[str, int]) -> dict[str, str]:
        return {
            "version": keycloak_version(),
            "issuer": self.issuer(ports),
            "postgres_port": str(self.postgres_port),
        }

    def matches_dependencies(self, record: ProcessRecord) -> bool:
        """False when the recorded Keycloak uses a Postgres port no longer in use (a new SMTP
        port is set through the admin API instead, see ``after_ready``)."""
        return record.info.get("postgres_port") == str(self.postgres_port)
