"""Postgres from Debian's ``postgresql`` package, with its cluster inside the state directory.

Postgres refuses to run as root. When this launcher runs as root, ``initdb`` and ``postgres`` run
as the ``postgres`` OS user (created by the Debian package) — switched to directly in the child
process (``setuid``/``setgid``, like ``setpriv``), so the recorded pid is the postmaster itself —
and the cluster directory is owned by that user. Otherwise they run as the current user.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
from pathlib import Path
from typing import ClassVar

import asyncpg

from aihub_local.asyncutil import run_sync
from aihub_local.component import HOST, Component, ProcessRecord
from aihub_local.paths import postgres_init_dir
from aihub_local.procutil import pid_alive, spawn_daemon, tcp_accepts, wait_reaped
from aihub_local.system import MissingDependencyError, postgres_bin_dir

DATABASE = "aihub"
SUPERUSER = "postgres"
OS_USER_WHEN_ROOT = "postgres"


def _locale_available(name: str) -> bool:
    try:
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return False
    wanted = name.lower().replace("-", "")
    return any(line.strip().lower().replace("-", "") == wanted for line in out.splitlines())


async def _can_connect(port: int, password: str) -> bool:
    try:
        conn = await asyncpg.connect(
            host=HOST, port=port, user=SUPERUSER, password=password, database="postgres", timeout=3
        )
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


async def _provision(port: int, password: str, sql_files: list[Path]) -> None:
    admin = await asyncpg.connect(
        host=HOST, port=port, user=SUPERUSER, password=password, database="postgres", timeout=10
    )
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(
        host=HOST, port=port, user=SUPERUSER, password=password, database=DATABASE, timeout=10
    )
    try:
        for sql_file in sql_files:
            await conn.execute(sql_file.read_text())
    finally:
        await conn.close()


def init_sql_files() -> list[Path]:
    """The provisioning scripts, in the order docker's entrypoint runs them (sorted by name)."""
    return sorted(postgres_init_dir().glob("*.sql"))


class PostgresComponent(Component):
    name = "postgres"
    default_ports: ClassVar[dict[str, int]] = {"postgres": 5432}
    # SIGTERM is Postgres' "smart" shutdown, which waits for every client (our services keep
    # pools open) to disconnect; SIGINT is the "fast" shutdown: roll back and stop at once.
    stop_signal = signal.SIGINT
    stop_timeout = 30.0
    startup_timeout = 60.0

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"

    @property
    def log_file(self) -> Path:
        return self.dir / "postgres.log"

    @property
    def password_file(self) -> Path:
        return self.dir / "superuser-password"

    def markers(self) -> list[str]:
        return ["postgres", "-D", str(self.data_dir)]

    def log_files(self) -> list[Path]:
        return [self.log_file]

    def superuser_password(self) -> str:
        return self.password_file.read_text().strip()

    def _os_user(self) -> str | None:
        if os.geteuid() != 0:
            return None
        try:
            pwd.getpwnam(OS_USER_WHEN_ROOT)
        except KeyError as exc:
            raise MissingDependencyError(
                f"running as root needs the '{OS_USER_WHEN_ROOT}' OS user to run Postgres "
                "(the Debian postgresql package creates it)"
            ) from exc
        return OS_USER_WHEN_ROOT

    def _bin_dir(self) -> Path:
        # A cluster must keep the major version that created it.
        version_file = self.data_dir / "PG_VERSION"
        if version_file.exists() and not os.environ.get("AIHUB_PG_BIN"):
            major = version_file.read_text().strip()
            same = Path(f"/usr/lib/postgresql/{major}/bin")
            if (same / "postgres").exists():
                return same
            raise MissingDependencyError(
                f"{self.data_dir} was created by Postgres {major}, which is not installed; "
                f"install postgresql-{major} or delete {self.dir} to start over"
            )
        return postgres_bin_dir()

    def _chown(self, path: Path, user: str | None) -> None:
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def prepare(self) -> None:
        user = self._os_user()
        self._bin = self._bin_dir()
        self.dir.mkdir(parents=True, exist_ok=True)
        self._chown(self.dir, user)
        if user is not None:
            self._check_traversable(user)
        if (self.data_dir / "PG_VERSION").exists():
            self._wait_for_killed_postmaster()
            if not self.password_file.exists():
                raise RuntimeError(
                    f"{self.password_file} is missing, so the superuser password is unknown; "
                    f"delete {self.dir} to start over"
                )
            return
        self._initdb(user)

    def _wait_for_killed_postmaster(self) -> None:
        """A postmaster killed a moment ago (kill -9) may still be a zombie, and Postgres refuses
        to start while the pid in ``postmaster.pid`` exists; wait until it is reaped."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return
        if not pid_alive(pid) and not wait_reaped(pid, timeout=30):
            raise RuntimeError(
                f"the killed postmaster {pid} of {self.data_dir} was not reaped within 30 s"
            )

    def _check_traversable(self, user: str) -> None:
        entry = pwd.getpwnam(user)
        for parent in self.dir.resolve().parents:
            st = parent.stat()
            if st.st_uid == entry.pw_uid:
                allowed = bool(st.st_mode & 0o100)
            elif st.st_gid == entry.pw_gid:
                allowed = bool(st.st_mode & 0o010)
            else:
                allowed = bool(st.st_mode & 0o001)
            if not allowed:
                raise RuntimeError(
                    f"the '{user}' OS user cannot enter {parent} (mode {oct(st.st_mode & 0o777)}), "
                    f"so Postgres cannot use {self.dir}; choose a state dir under a world-"
                    "traversable path (AIHUB_STATE_DIR)"
                )

    def _initdb(self, user: str | None) -> None:
        if self.data_dir.exists():
            # A half-initialised cluster from an interrupted run: start it over.
            shutil.rmtree(self.data_dir)
        password = secrets.token_urlsafe(18)
        pwfile = self.dir / "initdb.pwfile"
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o600)
        self._chown(pwfile, user)
        locale = "C.UTF-8" if _locale_available("C.UTF-8") else "C"
        argv = [
            str(self._bin / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=scram-sha-256",
            f"--pwfile={pwfile}",
            "--encoding=UTF8",
            f"--locale={locale}",
            "--no-instructions",
        ]
        try:
            result = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                cwd=self.dir,
                user=user,
                group=user,
                extra_groups=[] if user else None,
                check=False,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise RuntimeError(
                f"initdb failed ({result.returncode}):\n{result.stdout}{result.stderr}"
            )
        self.password_file.write_text(password + "\n")
        self.password_file.chmod(0o600)

    def spawn(self, ports: dict[str, int]) -> int:
        argv = [
            str(self._bin / "postgres"),
            "-D",
            str(self.data_dir),
            "-p",
            str(ports["postgres"]),
            "-c",
            f"listen_addresses={HOST}",
            "-c",
            "unix_socket_directories=",  # TCP only: no socket in /var/run/postgresql needed
            "-c",
            "max_connections=200",
        ]
        return spawn_daemon(argv, log_file=self.log_file, cwd=self.dir, user=self._os_user())

    def probe(self, ports: dict[str, int]) -> bool:
        port = ports["postgres"]
        if not tcp_accepts(HOST, port):
            return False
        return run_sync(_can_connect(port, self.superuser_password()))

    def after_ready(self, record: ProcessRecord) -> None:
        run_sync(_provision(record.ports["postgres"], self.superuser_password(), init_sql_files()))

    def record_info(self, ports: dict[str, int]) -> dict[str, str]:
        return {"bin": str(self._bin)}
