"""docker-compose.yml against the code its containers run: each container's environment against
the ``Settings`` it reads (pydantic-settings field names and aliases) and the options of its
console command; the one-shot commands against the console scripts of their images."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aihub_shared.kafka_access.cli import password_variable
from aihub_shared.kafka_access.table import PRINCIPALS, TEST
from aihub_shared.runtime.kafka_client import KafkaSettings
from tests.deploy.support import (
    CONTAINER_PORT,
    ONE_SHOTS,
    REPO_ROOT,
    SETTINGS_OF,
    command_envvars,
    depends_on_of,
    environment_of,
    script_names,
    services_of,
    settings_class,
    settings_env,
)

#: Variables the README promises are set in compose, even where Settings has a default.
PROMISED_ENV = {
    "applications": {"KAFKA_BOOTSTRAP_SERVERS", "APPLICATIONS_DATABASE_URL", "OIDC_ISSUER_URL"},
    "programs": {"KAFKA_BOOTSTRAP_SERVERS", "PROGRAMS_DATABASE_URL", "OIDC_ISSUER_URL"},
    "notifications": {
        "KAFKA_BOOTSTRAP_SERVERS",
        "NOTIFICATIONS_DATABASE_URL",
        "OIDC_ISSUER_URL",
        "SMTP_HOST",
        "SMTP_PORT",
    },
}
#: The variables of a Kafka login the compose file sets (no CA file: no TLS on its network).
KAFKA_LOGIN = set(settings_env(KafkaSettings)) - {"KAFKA_CA_FILE", "KAFKA_SASL_MECHANISM"}
#: What each one-shot runs, and which service's image it uses.
ONE_SHOT_COMMANDS = {
    "kafka-access": (["aihub-kafka-access", "apply"], "applications"),
    "topic-init": (["aihub-contracts", "create-topics"], "applications"),
    "programs-seed": (["aihub-programs", "seed"], "programs"),
}


def test_settings_names_are_what_the_services_read() -> None:
    """The name derivation below, checked on fields whose names are known."""
    names = settings_env(settings_class("notifications"))
    assert names["NOTIFICATIONS_DATABASE_URL"] is True
    assert names["SMTP_PORT"] is False
    assert names["KAFKA_BOOTSTRAP_SERVERS"] is False
    assert "DATABASE_URL" not in names


@pytest.mark.parametrize("container", sorted(SETTINGS_OF))
def test_environment_is_what_the_settings_read(compose: dict[str, Any], container: str) -> None:
    package = SETTINGS_OF[container]
    service = services_of(compose)[container]
    env = environment_of(service)
    readable = settings_env(settings_class(package))
    command = service.get("command") or [f"aihub-{package}", "serve"]
    readable_by_command = command_envvars(command) if container in ONE_SHOTS else set()

    assert all(key == key.upper() for key in env), f"lower-case names in {container}"
    unknown = set(env) - set(readable) - readable_by_command
    assert unknown == set(), f"{container} sets variables nothing reads (typos?): {unknown}"
    missing = {name for name, required in readable.items() if required} - set(env)
    assert missing == set(), f"{container} lacks required variables: {missing}"
    promised = PROMISED_ENV[package] - set(env)
    assert promised == set(), f"{container} lacks variables the README promises: {promised}"


@pytest.mark.parametrize("container", sorted(SETTINGS_OF))
def test_settings_load_from_the_compose_environment(
    compose: dict[str, Any], container: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With compose's defaults, each container's Settings validate (types, lengths)."""
    cls = settings_class(SETTINGS_OF[container])
    for name in settings_env(cls):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    env = environment_of(services_of(compose)[container])
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = cls()
    assert settings.service_name == SETTINGS_OF[container]
    assert settings.kafka_bootstrap_servers == env["KAFKA_BOOTSTRAP_SERVERS"]
    assert settings.database_dsn == env[f"{SETTINGS_OF[container].upper()}_DATABASE_URL"]
    assert settings.http_port == CONTAINER_PORT


def test_services_trust_the_composed_keycloak_realm(compose: dict[str, Any]) -> None:
    """Tokens carry the issuer people sign in at (KC_HOSTNAME + the realm); the services expect
    exactly that issuer and fetch the keys from the keycloak container."""
    services = services_of(compose)
    keycloak = environment_of(services["keycloak"])
    realm = json.loads((REPO_ROOT / "deploy" / "keycloak" / "aihub-realm.json").read_text())
    issuer = f"{keycloak['KC_HOSTNAME']}/realms/{realm['realm']}"
    for name in ("applications", "programs", "programs-seed", "notifications"):
        env = environment_of(services[name])
        assert env["OIDC_ISSUER_URL"] == issuer, name
        assert env["OIDC_JWKS_URL"].startswith("http://keycloak:8080/realms/aihub/"), name
    assert keycloak["KC_DB_SCHEMA"] == keycloak["KC_DB_USERNAME"] == "keycloak"
    volumes = [str(volume) for volume in services["keycloak"]["volumes"]]
    assert any("/deploy/keycloak:/opt/keycloak/data/import" in v for v in volumes), volumes


def test_topic_init_runs_create_topics_as_ops(compose: dict[str, Any]) -> None:
    service = services_of(compose)["topic-init"]
    assert service["command"] == ["aihub-contracts", "create-topics"]
    env = environment_of(service)
    assert set(env) == KAFKA_LOGIN
    assert env["KAFKA_USERNAME"] == "ops"
    assert depends_on_of(service) == {"kafka-access": "service_completed_successfully"}


def test_kafka_access_applies_the_table_as_the_bootstrap_admin(compose: dict[str, Any]) -> None:
    service = services_of(compose)["kafka-access"]
    env = environment_of(service)
    assert env["KAFKA_USERNAME"] == "admin"
    # Every principal a compose deployment runs gets its password; the test principal is the
    # local launcher's only.
    wanted = {password_variable(p.name) for p in PRINCIPALS if p is not TEST}
    assert set(env) == KAFKA_LOGIN | wanted
    # Only clearly local demo values as defaults; real ones come from the environment.
    assert all(v.startswith("local-demo-") for k, v in env.items() if "PASSWORD" in k)
    for name in ("applications", "programs", "notifications"):
        container = environment_of(services_of(compose)[name])
        assert container["KAFKA_USERNAME"] == name, "each service logs in as itself"
        assert container["KAFKA_PASSWORD"] == env[password_variable(name)]
        assert container["KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"


def test_one_shots_use_the_service_images(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    for name, (command, image_of) in ONE_SHOT_COMMANDS.items():
        service, owner = services[name], services[image_of]
        assert service["command"] == command
        assert service["image"] == owner["image"], name
        assert service["build"] == owner["build"], name
        # The console script is installed in that image: from the service or from shared/.
        scripts = script_names(REPO_ROOT / "services" / image_of / "pyproject.toml")
        scripts |= script_names(REPO_ROOT / "shared" / "pyproject.toml")
        assert command[0] in scripts, f"{command[0]} is not installed in {owner['image']}"
