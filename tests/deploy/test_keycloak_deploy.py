"""Keycloak is built and started the same way by the local launcher and by compose: the same build
options, the same Quarkus properties (the database pool's validation), the same start command."""

from __future__ import annotations

from typing import Any

from aihub_local.keycloak import START_COMMAND
from aihub_local.keycloak_dist import BUILD_OPTIONS, quarkus_properties
from tests.deploy.support import REPO_ROOT, dockerfile_instructions, exec_form, instruction

DOCKERFILE = REPO_ROOT / "deploy" / "keycloak" / "Dockerfile"


def _properties() -> dict[str, str]:
    lines = quarkus_properties().read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if line.strip() and not line.startswith("#")]
    return {key.strip(): value.strip() for key, value in pairs}


def test_the_pool_validates_connections_before_use() -> None:
    properties = _properties()
    assert properties["quarkus.datasource.jdbc.validate-on-borrow"] == "true"
    assert properties["quarkus.datasource.jdbc.background-validation-interval"] == "30S"


def test_the_image_is_built_like_the_launchers_distribution() -> None:
    instructions = dockerfile_instructions(DOCKERFILE)
    builds = [run.split() for run in instruction(instructions, "RUN") if "kc.sh build" in run]
    assert len(builds) == 1
    assert builds[0][:2] == ["/opt/keycloak/bin/kc.sh", "build"]
    assert tuple(builds[0][2:]) == BUILD_OPTIONS
    assert "quarkus.properties /opt/keycloak/conf/quarkus.properties" in instruction(
        instructions, "COPY"
    )
    assert tuple(exec_form(instruction(instructions, "CMD")[-1])) == START_COMMAND


def test_compose_runs_that_image_as_the_launcher_starts_keycloak(compose: dict[str, Any]) -> None:
    keycloak = compose["services"]["keycloak"]
    assert keycloak["build"]["context"] == str(DOCKERFILE.parent)
    assert tuple(keycloak["command"]) == START_COMMAND
    # Build-time options come from the image: set again at runtime, they would be ignored.
    assert not {"KC_DB", "KC_HEALTH_ENABLED", "KC_CACHE"} & set(keycloak["environment"])
