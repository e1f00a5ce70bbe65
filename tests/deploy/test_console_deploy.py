"""The staff console's deployment (compose, its Dockerfile, k8s) against its code: the variables
given are exactly what `ConsoleSettings` reads, probes it answers, a non-root image built with
its npm assets."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

import pytest

from aihub_console.settings import ConsoleSettings
from tests.deploy.support import (
    CONTAINER_PORT,
    HEALTHCHECK_IN_IMAGE,
    REPO_ROOT,
    dockerfile_instructions,
    environment_of,
    exec_form,
    instruction,
    ports_of,
    services_of,
    settings_env,
)
from tests.deploy.test_k8s import config_map, container_env, example_secret, find, only_container

READABLE = settings_env(ConsoleSettings)
REQUIRED = {name for name, required in READABLE.items() if required}


def test_compose_gives_the_console_exactly_what_it_reads(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    service = services_of(compose)["console"]
    env = environment_of(service)
    assert set(env) - set(READABLE) == set(), "variables the console never reads"
    assert REQUIRED - set(env) == set()
    for name in READABLE:
        monkeypatch.delenv(name, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = ConsoleSettings()
    # The realm's aihub-console client allows this address as its redirect out of the box.
    assert settings.console_base_url == "http://127.0.0.1:8010"
    assert ports_of(service) == ["8010:8000"]
    assert settings.database_dsn.startswith("postgresql://console:")
    applications = environment_of(services_of(compose)["applications"])
    assert settings.oidc_issuer_url == applications["OIDC_ISSUER_URL"]
    assert set(service["depends_on"]) >= {
        "postgres",
        "keycloak",
        "applications",
        "programs",
        "notifications",
    }


def test_the_dockerfile_builds_assets_from_npm_and_runs_the_console_unprivileged() -> None:
    instructions = dockerfile_instructions(REPO_ROOT / "services/console/Dockerfile")
    froms = [line.split()[0] for line in instruction(instructions, "FROM")]
    assert froms == ["node:20-slim", "python:3.11-slim", "python:3.11-slim"]
    runs = instruction(instructions, "RUN")
    assert any("npm ci --ignore-scripts" in line and "npm run vendor" in line for line in runs)
    installs = [line for line in runs if "pip install" in line]
    assert installs == ["pip install ./shared", "pip install ./services/console"]
    final = instructions[max(i for i, (key, _) in enumerate(instructions) if key == "FROM") :]
    assert instruction(final, "USER")[-1].split(":")[0] not in ("root", "0")
    assert instruction(final, "EXPOSE") == [str(CONTAINER_PORT)]
    (cmd,) = instruction(final, "CMD")
    assert exec_form(cmd) == ["aihub-console", "serve"]
    (check,) = instruction(final, "HEALTHCHECK")
    assert exec_form(check[check.index("CMD") + 3 :].strip()) == [
        "python",
        HEALTHCHECK_IN_IMAGE,
        "/health/live",
    ]


def test_k8s_gives_the_console_what_it_reads() -> None:
    deployment = find("Deployment", "console")
    container = only_container(deployment)
    env = container_env(container)
    assert REQUIRED - env == set()
    assert env - set(READABLE) == set()
    for entry in container.get("env", []):
        source = entry.get("valueFrom", {})
        if "secretKeyRef" in source:
            assert source["secretKeyRef"]["key"] in example_secret()
        if "configMapKeyRef" in source:
            assert source["configMapKeyRef"]["key"] in config_map()
    assert container["command"] == ["aihub-console", "serve"]
    assert entry_points(group="console_scripts", name="aihub-console")
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    labels = deployment["spec"]["selector"]["matchLabels"]
    assert find("Service", "console")["spec"]["selector"] == labels
