"""Keycloak's server distribution, from Maven Central, built once for Postgres.

``org.keycloak:keycloak-quarkus-dist`` (the zip the Keycloak project publishes) is fetched by
Maven, unpacked once per version into ``<cache>/keycloak-<version>`` (``~/.cache/aihub`` by
default, outside the repository) and optimised with ``kc.sh build`` for what every local stack
uses (Postgres, health endpoints), so each start skips the build step.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import zipfile
from pathlib import Path

from aihub_local.kafka_jars import DEPENDENCY_PLUGIN, file_lock, maven_argv, run_logged
from aihub_local.paths import cache_dir
from aihub_local.procutil import tail
from aihub_local.system import java_binary

#: The 26.5 line starts on Java 17. ``AIHUB_KEYCLOAK_VERSION`` overrides.
DEFAULT_KEYCLOAK_VERSION = "26.5.2"
#: Build-time options: the server is re-augmented only when these change.
BUILD_OPTIONS = ("--db=postgres", "--health-enabled=true", "--cache=local")


def keycloak_version() -> str:
    return os.environ.get("AIHUB_KEYCLOAK_VERSION", DEFAULT_KEYCLOAK_VERSION)


def ensure_keycloak_home(version: str | None = None) -> Path:
    """The built distribution's directory (``bin/``, ``lib/``, ``themes/``), ready to start."""
    version = version or keycloak_version()
    base = cache_dir() / f"keycloak-{version}"
    home = base / "home"
    complete = base / "home.complete"
    wanted = " ".join(BUILD_OPTIONS)
    if complete.exists() and complete.read_text().strip() == wanted and home.is_dir():
        return home
    with file_lock(base / ".lock"):
        if complete.exists() and complete.read_text().strip() == wanted and home.is_dir():
            return home
        print(
            f"aihub-local: installing Keycloak {version} from Maven Central into {home} "
            "(first run only)",
            file=sys.stderr,
        )
        zip_file = _download(version, work=base / "download")
        # Staged, then renamed: an interrupted install never looks complete.
        staging = base / "home.partial"
        shutil.rmtree(staging, ignore_errors=True)
        _unpack(zip_file, staging)
        _build(staging, log=base / "build.log")
        shutil.rmtree(home, ignore_errors=True)
        staging.rename(home)
        complete.write_text(wanted + "\n")
        return home


def _download(version: str, *, work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    artifact = f"org.keycloak:keycloak-quarkus-dist:{version}:zip"
    argv = maven_argv(
        f"{DEPENDENCY_PLUGIN}:copy", f"-Dartifact={artifact}", f"-DoutputDirectory={work}"
    )
    log = work / "mvn.log"
    returncode = run_logged(argv, log, cwd=work)
    zip_file = work / f"keycloak-quarkus-dist-{version}.zip"
    if returncode != 0 or not zip_file.exists():
        raise RuntimeError(
            f"Maven could not fetch {artifact} (exit {returncode}); see {log}:\n{tail(log, 30)}"
        )
    return zip_file


def _unpack(zip_file: Path, into: Path) -> None:
    """Unzip with the archive's top folder (``keycloak-<version>/``) stripped, modes kept."""
    into.mkdir(parents=True)
    with zipfile.ZipFile(zip_file) as archive:
        for member in archive.infolist():
            relative = Path(*Path(member.filename).parts[1:])
            if not relative.parts or ".." in relative.parts:
                continue
            target = into / relative
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            mode = (member.external_attr >> 16) & 0o777
            if mode:
                target.chmod(mode | stat.S_IRUSR)


def _build(home: Path, *, log: Path) -> None:
    env = {**os.environ, "JAVA": java_binary(), "JAVA_OPTS_KC_HEAP": "-Xms64m -Xmx512m"}
    argv = ["sh", str(home / "bin" / "kc.sh"), "build", *BUILD_OPTIONS]
    returncode = run_logged(argv, log, env=env)
    if returncode != 0:
        raise RuntimeError(f"kc.sh build failed (exit {returncode}); see {log}:\n{tail(log, 30)}")
