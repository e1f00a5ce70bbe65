"""Finding (on Debian also installing) the binaries the stack needs: Java, Maven, Postgres."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

_apt_lock = threading.Lock()
_apt_updated = False
# Wait for another apt/dpkg run (unattended upgrades, a parallel bootstrap) instead of failing.
_LOCK_WAIT = ("-o", "DPkg::Lock::Timeout=300")


class MissingDependencyError(RuntimeError):
    """A system binary is missing and cannot be installed automatically."""


def apt_install(*packages: str) -> None:
    """``apt-get install`` the packages (``apt-get update`` once per process first).

    Runs directly as root, through ``sudo -n`` otherwise; never prompts.
    """
    global _apt_updated
    if shutil.which("apt-get") is None:
        raise MissingDependencyError(
            f"need {', '.join(packages)} but apt-get is not available: install them yourself"
        )
    prefix: list[str] = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            raise MissingDependencyError(
                f"need {', '.join(packages)}: run `sudo apt-get install {' '.join(packages)}`"
            )
        prefix = ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with _apt_lock:
        print(f"aihub-local: installing {' '.join(packages)} with apt-get", file=sys.stderr)
        if not _apt_updated:
            subprocess.run([*prefix, "apt-get", *_LOCK_WAIT, "update"], check=True, env=env)
            _apt_updated = True
        subprocess.run(
            [
                *prefix,
                "apt-get",
                *_LOCK_WAIT,
                "install",
                "-y",
                "--no-install-recommends",
                *packages,
            ],
            check=True,
            env=env,
            stdin=subprocess.DEVNULL,
        )


def _java_major(java: str) -> int:
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def java_binary() -> str:
    """A Java 17+ ``java``: ``$JAVA_HOME/bin/java`` or the one on PATH, installed if missing."""
    candidates: list[str] = []
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidates.append(str(Path(java_home) / "bin" / "java"))
    on_path = shutil.which("java")
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        if Path(candidate).exists() and _java_major(candidate) >= 17:
            return candidate
    try:
        apt_install("openjdk-17-jre-headless")
    except subprocess.CalledProcessError:  # a Debian release without Java 17: take its default
        apt_install("default-jre-headless")
    java = shutil.which("java")
    if java is None or _java_major(java) < 17:
        raise MissingDependencyError("Java 17+ is required to run Kafka")
    return java


def maven_binary() -> str:
    """``mvn``, installed with apt-get if missing."""
    mvn = shutil.which("mvn")
    if mvn is None:
        apt_install("maven")
        mvn = shutil.which("mvn")
    if mvn is None:
        raise MissingDependencyError("Maven (mvn) is required to download Kafka's jars")
    return mvn


def _postgres_bin_dirs() -> list[Path]:
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/postgres")]

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", path.parent.name))

    return sorted(found, key=version, reverse=True)


def postgres_bin_dir() -> Path:
    """The newest Debian Postgres ``bin`` directory (``$AIHUB_PG_BIN`` overrides); installs
    the ``postgresql`` package when there is none."""
    override = os.environ.get("AIHUB_PG_BIN")
    if override:
        return Path(override)
    dirs = _postgres_bin_dirs()
    if not dirs:
        apt_install("postgresql")
        dirs = _postgres_bin_dirs()
    if not dirs:
        raise MissingDependencyError("no /usr/lib/postgresql/*/bin/postgres after installing")
    return dirs[0]
