"""docker-compose.yml: Postgres, Kafka and Mailpit as the services need them (their own database
roles, a single KRaft node reachable from the containers and the host, mail to Mailpit), read as
the Compose CLI resolves the file."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from aihub_shared.kafka_access.table import SUPER_USERS
from tests.deploy.support import (
    POSTGRES_INIT_DIR,
    REPO_ROOT,
    SERVICES,
    SETTINGS_OF,
    environment_of,
    mounts_of,
    ports_of,
    services_of,
)


@pytest.mark.parametrize("container", sorted(SETTINGS_OF))
def test_database_url_user_is_the_services_own_role(
    compose: dict[str, Any], container: str
) -> None:
    services = services_of(compose)
    role = SETTINGS_OF[container]
    url = urlsplit(environment_of(services[container])[f"{role.upper()}_DATABASE_URL"])
    postgres_env = environment_of(services["postgres"])
    assert url.scheme in ("postgresql", "postgres")
    assert url.username == role
    assert url.password == role, "dev password of deploy/postgres/init is the role name"
    assert url.hostname in services
    assert services[url.hostname]["image"].startswith("postgres:")
    assert url.port == 5432
    assert url.path == f"/{postgres_env['POSTGRES_DB']}"


def test_each_service_has_a_different_role(compose: dict[str, Any]) -> None:
    users = [
        urlsplit(environment_of(services_of(compose)[name])[f"{name.upper()}_DATABASE_URL"])
        for name in SERVICES
    ]
    assert len({url.username for url in users}) == len(SERVICES)


def test_postgres_gets_the_init_scripts(compose: dict[str, Any]) -> None:
    postgres = services_of(compose)["postgres"]
    assert postgres["image"].split(":")[1].split(".")[0].split("-")[0] == "16"
    assert environment_of(postgres)["POSTGRES_DB"] == "aihub"
    source = mounts_of(postgres)["/docker-entrypoint-initdb.d"]
    assert (REPO_ROOT / source).resolve() == POSTGRES_INIT_DIR
    scripts = sorted(POSTGRES_INIT_DIR.glob("*.sql"))
    assert scripts, f"no init SQL in {POSTGRES_INIT_DIR}"
    sql = "\n".join(script.read_text(encoding="utf-8") for script in scripts)
    for role in SERVICES:
        assert f"'{role}'" in sql, f"the init SQL does not provision role {role}"


def test_kafka_is_a_single_kraft_node_without_topic_auto_creation(
    compose: dict[str, Any],
) -> None:
    services = services_of(compose)
    kafka = services["kafka"]
    env = environment_of(kafka)
    assert re.match(r"^apache/kafka:4\.\d+\.\d+$", kafka["image"])
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    for key in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
        "KAFKA_DEFAULT_REPLICATION_FACTOR",
    ):
        assert env[key] == "1", key
    # CLUSTER_ID must be a base64url-encoded UUID (what kafka-storage.sh random-uuid prints).
    cluster_id = env["CLUSTER_ID"]
    raw_id = base64.urlsafe_b64decode(cluster_id + "==")
    assert len(raw_id) == 16
    assert uuid.UUID(bytes=raw_id) != uuid.UUID(int=0)
    assert base64.urlsafe_b64encode(raw_id).decode().rstrip("=") == cluster_id
    # The volume keeps the data where the broker writes it.
    assert env["KAFKA_LOG_DIRS"] in mounts_of(kafka)


def _listeners(value: str) -> dict[str, tuple[str, int]]:
    result: dict[str, tuple[str, int]] = {}
    for item in value.split(","):
        name, _, address = item.partition("://")
        host, _, port = address.rpartition(":")
        result[name] = (host, int(port))
    return result


def test_kafka_listeners_serve_the_containers_and_the_host(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    env = environment_of(services["kafka"])
    protocols = dict(
        item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    listeners = _listeners(env["KAFKA_LISTENERS"])
    advertised = _listeners(env["KAFKA_ADVERTISED_LISTENERS"])
    controller = env["KAFKA_CONTROLLER_LISTENER_NAMES"]

    assert set(listeners) <= set(protocols)
    assert controller in listeners
    assert controller not in advertised
    assert set(advertised) <= set(listeners)
    for name, (_, port) in advertised.items():
        assert listeners[name][1] == port, f"{name} is advertised on another port than it binds"
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] in advertised
    voter_id, _, voter = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].partition("@")
    assert voter_id == env["KAFKA_NODE_ID"]
    assert int(voter.rpartition(":")[2]) == listeners[controller][1]

    # Containers reach the broker on the listener advertised under its service name...
    inside = {f"{host}:{port}" for host, port in advertised.values() if host == "kafka"}
    for name, service in services.items():
        bootstrap = environment_of(service).get("KAFKA_BOOTSTRAP_SERVERS")
        if bootstrap is not None:
            assert bootstrap in inside, f"{name}: {bootstrap} is not an advertised listener"
    # ...and the host on the one advertised as localhost, published on the same port.
    outside = [port for host, port in advertised.values() if host in ("localhost", "127.0.0.1")]
    assert outside, "no listener for clients on the host"
    assert f"{outside[0]}:{outside[0]}" in ports_of(services["kafka"])
    # The health check asks a listener that answers inside the container.
    check = services["kafka"]["healthcheck"]["test"]
    assert check[check.index("--bootstrap-server") + 1] in {
        f"localhost:{port}" for _, port in listeners.values()
    }


def test_notifications_send_to_mailpit(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    env = environment_of(services["notifications"])
    assert env["SMTP_HOST"] == "mailpit"
    assert services[env["SMTP_HOST"]]["image"].startswith("axllent/mailpit:")
    assert env["SMTP_PORT"] == "1025"


def test_kafka_authenticates_every_listener_and_denies_by_default(
    compose: dict[str, Any],
) -> None:
    env = environment_of(services_of(compose)["kafka"])
    protocols = dict(
        item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    assert set(protocols.values()) <= {"SASL_PLAINTEXT", "SASL_SSL"}, protocols
    assert env["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert env["KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL"] == "SCRAM-SHA-512"
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert env["KAFKA_SUPER_USERS"] == ";".join(f"User:{name}" for name in SUPER_USERS)
    # Each SASL listener has its login module; the broker's own password is the one formatted.
    for listener in protocols:
        mechanism = (
            "PLAIN" if listener == env["KAFKA_CONTROLLER_LISTENER_NAMES"] else ("SCRAM___SHA___512")
        )
        assert f"KAFKA_LISTENER_NAME_{listener}_{mechanism}_SASL_JAAS_CONFIG" in env, listener
    jaas = env["KAFKA_LISTENER_NAME_INTERNAL_SCRAM___SHA___512_SASL_JAAS_CONFIG"]
    assert f'password="{env["AIHUB_BROKER_PASSWORD"]}"' in jaas
    assert services_of(compose)["kafka"]["entrypoint"][-1] == "/opt/aihub/kafka-start.sh"
