"""docker-compose.yml as a real Compose implementation validates and resolves it.

``docker-compose config`` (Compose v1, Debian package ``docker-compose``, installed by
``./dev bootstrap`` from ``deploy/apt-packages.txt``), and ``docker compose config`` too when the
v2 plugin is there. Without either, the tests fail: a missing validator must not pass silently.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.support import COMPOSE_FILE, run_compose_config, services_of


def _broken(raw: dict[str, Any], mutation: str) -> dict[str, Any]:
    document = copy.deepcopy(raw)
    services = services_of(document)
    if mutation == "unknown service key":
        services["kafka"]["helthcheck"] = services["kafka"].pop("healthcheck")
    elif mutation == "unknown depends_on condition":
        services["applications"]["depends_on"]["kafka"]["condition"] = "service_ready"
    elif mutation == "environment of the wrong type":
        services["programs"]["environment"] = "PROGRAMS_DATABASE_URL=x"
    elif mutation == "healthcheck test not a command":
        services["postgres"]["healthcheck"]["test"] = {"cmd": "pg_isready"}
    else:  # pragma: no cover
        raise AssertionError(mutation)
    return document


BROKEN = [
    "unknown service key",
    "unknown depends_on condition",
    "environment of the wrong type",
    "healthcheck test not a command",
]


def test_compose_cli_accepts_the_file(clis: list[list[str]]) -> None:
    for cli in clis:
        result = run_compose_config(cli, COMPOSE_FILE)
        assert result.returncode == 0, f"{' '.join(cli)} config: {result.stderr}"
        # An unset variable without a default gets a warning: there must be none.
        assert "variable is not set" not in result.stderr, result.stderr


@pytest.mark.parametrize("mutation", BROKEN)
def test_the_cli_rejects_a_broken_compose_file(
    clis: list[list[str]], raw: dict[str, Any], tmp_path: Path, mutation: str
) -> None:
    """The validation is not vacuous: each of these mistakes is reported."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(_broken(raw, mutation)), encoding="utf-8")
    for cli in clis:
        result = run_compose_config(cli, broken)
        assert result.returncode != 0, f"{' '.join(cli)} accepted: {mutation}"


def test_compose_cli_rejects_a_dependency_on_a_missing_service(
    clis: list[list[str]], raw: dict[str, Any], tmp_path: Path
) -> None:
    document = copy.deepcopy(raw)
    services_of(document)["applications"]["depends_on"]["kafak"] = {"condition": "service_started"}
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(document), encoding="utf-8")
    for cli in clis:
        result = run_compose_config(cli, broken)
        assert result.returncode != 0, f"{' '.join(cli)} accepted depends_on: kafak"
        assert "kafak" in result.stderr


def test_every_variable_has_a_default(
    resolution: subprocess.CompletedProcess[str], compose: dict[str, Any]
) -> None:
    """`docker compose up` must work on a fresh clone, without a .env file."""
    # Resolved with no variable set: Compose warns about each variable without a default
    # (`${NAME}`, `$NAME`) and fails on a required one (`${NAME:?message}`).
    assert "variable is not set" not in resolution.stderr, resolution.stderr
    assert resolution.returncode == 0, resolution.stderr
    # ... and resolving with nothing set leaves no `$` behind.
    assert "$" not in json.dumps(compose)
