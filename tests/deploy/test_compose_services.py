"""docker-compose.yml: restart policies, start order, ports and health checks of its services,
read as the Compose CLI resolves the file (what Compose's own validation does not check)."""

from __future__ import annotations

import re
from typing import Any

from tests.deploy.support import (
    CONTAINER_PORT,
    HEALTHCHECK_IN_IMAGE,
    HOST_PORTS,
    ONE_SHOTS,
    SERVICES,
    depends_on_of,
    health_check_disabled,
    ports_of,
    services_of,
)

RESTART_POLICIES = re.compile(r"^(no|always|unless-stopped|on-failure(:\d+)?)$")
DEPENDS_ON_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
#: Go's time.ParseDuration syntax, which Compose uses for durations.
GO_DURATION = re.compile(r"^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$")


def test_durations_and_restart_policies(compose: dict[str, Any]) -> None:
    for name, service in services_of(compose).items():
        assert RESTART_POLICIES.match(str(service.get("restart", "no"))), name
        if "stop_grace_period" in service:
            assert GO_DURATION.match(service["stop_grace_period"]), name
        check = service.get("healthcheck", {})
        for key in ("interval", "timeout", "start_period", "start_interval"):
            if key in check:
                assert GO_DURATION.match(check[key]), f"{name}.healthcheck.{key}"


def test_long_running_services_restart_and_one_shots_do_not(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    for name in (*SERVICES, "kafka", "postgres", "mailpit"):
        assert services[name]["restart"] == "unless-stopped", name
    for name in ONE_SHOTS:
        assert services[name]["restart"] == "no", name
        # `healthcheck: {disable: true}`, which Compose v1 prints as `test: [NONE]`.
        assert services[name]["healthcheck"] in ({"disable": True}, {"test": ["NONE"]}), name


def test_the_three_services_share_the_service_defaults(raw: dict[str, Any]) -> None:
    defaults = raw["x-service-defaults"]
    services = services_of(raw)
    for name in SERVICES:
        for key, value in defaults.items():
            assert services[name][key] == value, f"{name}.{key} differs from x-service-defaults"


def test_depends_on_names_existing_services_with_valid_conditions(
    compose: dict[str, Any],
) -> None:
    services = services_of(compose)
    for name, service in services.items():
        for dependency, condition in depends_on_of(service).items():
            assert dependency in services, f"{name} depends on unknown service {dependency}"
            assert condition in DEPENDS_ON_CONDITIONS, f"{name} -> {dependency}: {condition}"
            target = services[dependency]
            if condition == "service_healthy":
                check = target.get("healthcheck", {})
                no_check = f"{name} waits for {dependency} to be healthy; it has no health check"
                assert check.get("test"), no_check
                assert not health_check_disabled(target), no_check
            if condition == "service_completed_successfully":
                assert dependency in ONE_SHOTS, f"{dependency} never completes"


def test_depends_on_has_no_cycle(compose: dict[str, Any]) -> None:
    graph = {name: set(depends_on_of(s)) for name, s in services_of(compose).items()}
    done: set[str] = set()
    while len(done) < len(graph):
        ready = {name for name, deps in graph.items() if name not in done and deps <= done}
        assert ready, f"cycle among {sorted(set(graph) - done)}"
        done |= ready


def test_startup_order(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    for name in SERVICES:
        deps = depends_on_of(services[name])
        assert deps["postgres"] == "service_healthy", name
        assert deps["kafka"] == "service_healthy", name
        # Topic auto-creation is off: the topics must exist before anyone consumes.
        assert deps["topic-init"] == "service_completed_successfully", name
    assert depends_on_of(services["programs"])["programs-seed"] == (
        "service_completed_successfully"
    )
    assert depends_on_of(services["notifications"])["mailpit"] == "service_healthy"
    # The users and ACLs exist before anyone logs in; topic-init logs in as ops.
    assert depends_on_of(services["kafka-access"]) == {"kafka": "service_healthy"}
    assert depends_on_of(services["topic-init"]) == {
        "kafka-access": "service_completed_successfully"
    }
    assert depends_on_of(services["programs-seed"]) == {"postgres": "service_healthy"}


def test_service_ports(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    for name in SERVICES:
        assert ports_of(services[name]) == [f"{HOST_PORTS[name]}:{CONTAINER_PORT}"], name
    assert "8025:8025" in ports_of(services["mailpit"])
    published = [int(port.split(":")[-2]) for s in services.values() for port in ports_of(s)]
    assert len(published) == len(set(published)), f"a host port is published twice: {published}"


def test_services_health_checks_ask_for_readiness(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    for name in SERVICES:
        assert services[name]["healthcheck"]["test"] == [
            "CMD",
            "python",
            HEALTHCHECK_IN_IMAGE,
            "/health/ready",
        ], name
    kafka_check = services["kafka"]["healthcheck"]["test"]
    assert kafka_check[1] == "/opt/kafka/bin/kafka-broker-api-versions.sh"
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
