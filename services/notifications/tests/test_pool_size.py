"""The service's pool fits its mail senders: each holds two connections while batches come back
full, on top of what `DB_POOL_MAX_SIZE` gives the consumers, relay, API and other workers."""

from __future__ import annotations

import pytest

from aihub_notifications.settings import Settings


@pytest.fixture(autouse=True)
def _required_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFICATIONS_DATABASE_URL", "postgresql://x@localhost/x")
    monkeypatch.setenv("OIDC_ISSUER_URL", "http://127.0.0.1:8080/realms/aihub")
    monkeypatch.setenv("KAFKA_USERNAME", "notifications")
    monkeypatch.setenv("KAFKA_PASSWORD", "x")


def test_the_default_pool_has_room_for_one_sender() -> None:
    assert Settings().pool_max_size == 10 + 2


@pytest.mark.parametrize(("connections", "pool"), [("4", "10"), ("16", "3")])
def test_each_sender_adds_two_connections(
    monkeypatch: pytest.MonkeyPatch, connections: str, pool: str
) -> None:
    monkeypatch.setenv("SMTP_CONNECTIONS", connections)
    monkeypatch.setenv("DB_POOL_MAX_SIZE", pool)
    assert Settings().pool_max_size == int(pool) + 2 * int(connections)
