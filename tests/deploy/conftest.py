"""Fixtures of the deploy tests: the Compose CLIs and the compose file, as written and resolved."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
import yaml

from tests.deploy.support import COMPOSE_FILE, compose_clis, load_yaml, run_compose_config


@pytest.fixture(scope="session")
def clis() -> list[list[str]]:
    """Every Compose CLI installed here; none is a failure, so validation never passes silently."""
    found = compose_clis()
    if not found:
        pytest.fail(
            "no Compose CLI: run ./dev bootstrap (installs Debian's docker-compose listed in"
            " deploy/apt-packages.txt)"
        )
    return found


@pytest.fixture(scope="session")
def raw() -> dict[str, Any]:
    """The compose file as YAML (anchors and merge keys resolved), variables not resolved."""
    return load_yaml(COMPOSE_FILE)


@pytest.fixture(scope="session")
def resolution(clis: list[list[str]]) -> subprocess.CompletedProcess[str]:
    """`config` of the first CLI (Debian's docker-compose when installed) with no variable set."""
    result = run_compose_config(clis[0], COMPOSE_FILE, quiet=False)
    assert result.returncode == 0, f"{' '.join(clis[0])} config: {result.stderr}"
    return result


@pytest.fixture(scope="session")
def compose(resolution: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The compose file as `docker compose up` sees it with no variable set (defaults apply),
    as the Compose CLI resolved it."""
    document = yaml.safe_load(resolution.stdout)
    assert isinstance(document, dict), resolution.stdout
    return document
