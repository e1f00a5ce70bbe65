"""The access table against the code: each service's row covers exactly what its consumers read
(and their dead letters, which its ops routes list and replay) and the dead letters they write
(the broker test in tests/infra proves the broker enforces the row; this one proves the row is
what the service needs)."""

from __future__ import annotations

import importlib

import pytest

from aihub_local.testing import UNUSED_KAFKA_LOGIN
from aihub_notifications.service_layer.dead_letter_alerts import CollectorConfig
from aihub_shared.contracts.topics import dead_letter_topic
from aihub_shared.kafka_access.table import principal
from aihub_shared.runtime.service import ServiceDefinition
from tests.deploy.support import settings_class

SERVICES = ("applications", "programs", "notifications")


def definition_of(service: str) -> ServiceDefinition:
    settings = settings_class(service).model_validate(
        {
            f"{service.upper()}_DATABASE_URL": "postgresql://unused@localhost/x",
            "OIDC_ISSUER_URL": "http://127.0.0.1:1/realms/unused",
            **UNUSED_KAFKA_LOGIN,
        }
    )
    app = importlib.import_module(f"aihub_{service}.entrypoints.app")
    built: ServiceDefinition = app.definition(settings)
    return built


@pytest.mark.parametrize("service", SERVICES)
def test_a_services_consumers_use_exactly_what_its_row_grants(service: str) -> None:
    row = principal(service)
    consumers = definition_of(service).consumers
    reads = {topic for spec in consumers for topic in spec.topics}
    # The dead letters of those topics, read (without a group) by its ops routes for replay.
    reads |= {dead_letter_topic(t) for spec in consumers for t in spec.topics}
    for spec in consumers:
        assert spec.name.startswith(row.groups), f"{spec.name} is not a group of {service}"
    if service == "notifications":  # and its dead-letter collector, with its default group
        assert CollectorConfig.group_id.startswith(row.groups)
        reads |= set(CollectorConfig.topics)
    assert reads == set(row.reads)
    # Each consumer writes its own dead letters; the rest of the row is what it publishes.
    dead_letters = {dead_letter_topic(t) for spec in consumers for t in spec.topics}
    assert dead_letters <= set(row.writes)
    assert not {t for t in row.writes if t.endswith(".dlq")} - dead_letters
