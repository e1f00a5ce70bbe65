"""No full e-mail address, name or registration number in a log line: the last step of every
service's log pipeline masks them, in our lines and the libraries' alike (issue 15)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from aihub_shared.runtime.logging import configure_logging, mask_text


@pytest.fixture
def log_lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    configure_logging("test", json=True)
    yield out
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()


def test_our_lines_and_the_libraries_are_masked(log_lines: io.StringIO) -> None:
    structlog.get_logger("ours").info(
        "stored",
        startup_name="Deep Harbor AI",
        contact={"name": "Mina Park", "email": "mina.park@startup.example"},
        detail="duplicate (cohort, number)=(cv-1, 2208162517)",
    )
    logging.getLogger("asyncpg").warning("row for 220-81-62517 <mina.park@startup.example>")
    try:
        raise ValueError("cannot mail mina.park@startup.example")
    except ValueError:
        structlog.get_logger("ours").exception("failed")
    text = log_lines.getvalue()
    for secret in ("mina.park@", "Mina Park", "Deep Harbor", "2208162517", "220-81-62517"):
        assert secret not in text
    first = json.loads(text.splitlines()[0])
    assert first["contact"] == {"name": "M***", "email": "m***@startup.example"}
    assert first["startup_name"] == "D***"
    assert "m***@startup.example" in text  # enough for ops to tell mails apart


def test_ids_times_and_positions_stay_readable() -> None:
    kept = [
        "0b8f5a52-3c1e-4e0b-9a57-6f1d2a7c9e01",
        "2026-11-30T15:56:26.123456Z",
        "intake.applications:2:1234567890",
        "sub-1234567890ab",
        "outbox backlog 12",
    ]
    assert [mask_text(t) for t in kept] == kept
