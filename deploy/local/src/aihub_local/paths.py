"""Where things live: the repository, state directories and the download cache."""

from __future__ import annotations

import os
from pathlib import Path

_INIT_SQL_DIR = Path("deploy") / "postgres" / "init"


def repo_root() -> Path:
    """The monorepo root: the nearest ancestor holding ``deploy/postgres/init``.

    Looked up from this file first (editable install), then from the working directory;
    ``AIHUB_REPO_ROOT`` overrides both.
    """
    override = os.environ.get("AIHUB_REPO_ROOT")
    if override:
        return Path(override).resolve()
    for start in (Path(__file__).resolve(), Path.cwd().resolve()):
        for candidate in (start, *start.parents):
            if (candidate / _INIT_SQL_DIR).is_dir():
                return candidate
    raise FileNotFoundError(
        "cannot find the repository root (a directory with deploy/postgres/init); "
        "set AIHUB_REPO_ROOT"
    )


def postgres_init_dir() -> Path:
    """Directory of the SQL files that provision roles and schemas (shared with docker compose)."""
    return repo_root() / _INIT_SQL_DIR


def default_state_dir() -> Path:
    """State directory of the developer stack: ``$AIHUB_STATE_DIR`` or ``<repo>/.state/dev``."""
    override = os.environ.get("AIHUB_STATE_DIR")
    if override:
        return Path(override).resolve()
    return repo_root() / ".state" / "dev"


def state_dir_for_tests() -> Path:
    """State directory the test suite uses: ``$AIHUB_TEST_STATE_DIR`` or ``<repo>/.state/test``.

    Two pytest sessions must not share one (they would stop each other's services); the override
    lets parallel sessions each have their own infrastructure.
    """
    override = os.environ.get("AIHUB_TEST_STATE_DIR")
    if override:
        return Path(override).resolve()
    return repo_root() / ".state" / "test"


def cache_dir() -> Path:
    """Download cache kept outside the repository.

    ``$AIHUB_CACHE_DIR``, else ``$XDG_CACHE_HOME/aihub``, else ``~/.cache/aihub``.
    """
    override = os.environ.get("AIHUB_CACHE_DIR")
    if override:
        return Path(override).resolve()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return (base / "aihub").resolve()
