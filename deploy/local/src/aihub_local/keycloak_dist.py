"""Keycloak's server distribution, from Maven Central, built once for what local stacks use.

``org.keycloak:keycloak-quarkus-dist`` (the zip the Keycloak project publishes) is fetched by
Maven into ``<cache>/keycloak-<version>/download`` (``~/.cache/aihub`` by default, outside the
repository), then unpacked and optimised with ``kc.sh build`` into
``<cache>/keycloak-<version>/build-<key>``: ``<key>`` is a digest of the version, the build-time
options and ``deploy/keycloak/quarkus.properties``, so a change of any of them builds a new
directory (a minute, once) while stacks still running from the old one keep it. Every start is then
``start --optimized``: no build step at start.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import sys
import zipfile
from pathlib import Path

from aihub_local.kafka_jars import DEPENDENCY_PLUGIN, file_lock, maven_argv, run_logged
from aihub_local.paths import cache_dir, repo_root
from aihub_local.procutil import tail
from aihub_local.system import java_binary

#: The 26.5 line starts on Java 17. ``AIHUB_KEYCLOAK_VERSION`` overrides.
DEFAULT_KEYCLOAK_VERSION = "26.5.2"
#: Build-time options (``kc.sh build``). Runtime ones, such as ``--cache=local``, are given at
#: start (``keycloak.py``): the build ignores them.
BUILD_OPTIONS = (
    "--db=postgres",
    "--health-enabled=true",
    "--features-disabled=impersonation,kerberos,ciba,device-flow,par,organization",
)


def keycloak_version() -> str:
    return os.environ.get("AIHUB_KEYCLOAK_VERSION", DEFAULT_KEYCLOAK_VERSION)


def quarkus_properties() -> Path:
    """The raw Quarkus properties every Keycloak of the platform runs with (the launcher's,
    compose's and the cluster's): the database pool's validation, which Keycloak has no option
    for."""
    return repo_root() / "deploy" / "keycloak" / "quarkus.properties"


def build_key(version: str) -> str:
    """Names one build: the version, the build options and the Quarkus properties."""
    parts = [version, *BUILD_OPTIONS, quarkus_properties().read_text()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def ensure_keycloak_home(version: str | None = None) -> Path:
    """The built distribution's directory (``bin/``, ``lib/``, ``conf/``, ``themes/``), ready for
    ``start --optimized``; downloaded and built on first use."""
    version = version or keycloak_version()
    base = cache_dir() / f"keycloak-{version}"
    name = f"build-{build_key(version)}"
    home = base / name
    complete = base / f"{name}.complete"
    if complete.exists() and home.is_dir():
        return home
    with file_lock(base / ".lock"):
        if complete.exists() and home.is_dir():
            return home
        print(
            f"aihub-local: building Keycloak {version} into {home} (once per version and options)",
            file=sys.stderr,
        )
        zip_file = _download(version, work=base / "download")
        # Staged, then renamed: an interrupted build never looks complete.
        staging = base / f"{name}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        _unpack(zip_file, staging)
        shutil.copy(quarkus_properties(), staging / "conf" / "quarkus.properties")
        _build(staging, log=base / f"{name}.log")
        shutil.rmtree(home, ignore_errors=True)
        staging.rename(home)
        complete.write_text(" ".join(BUILD_OPTIONS) + "\n")
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
