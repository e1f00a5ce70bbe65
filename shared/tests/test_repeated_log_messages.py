"""The logging filter that keeps a Kafka outage from flooding the logs."""

from __future__ import annotations

import logging

from aihub_shared.runtime.logging import RepeatedLibraryMessages


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def record(
    msg: object, *, level: int = logging.ERROR, name: str = "aiokafka.conn"
) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, ("node-1",), None)


def test_a_repeated_library_message_passes_once_per_window_with_the_count_held_back() -> None:
    clock = Clock()
    keep = RepeatedLibraryMessages(window_seconds=30, clock=clock)
    template = "Unable connect to node with id %s"
    assert keep.filter(record(template))
    passed = [keep.filter(record(template)) for _ in range(1000)]
    assert not any(passed)
    clock.now = 30.0
    next_one = record(template)
    assert keep.filter(next_one)
    assert (
        next_one.getMessage()
        == "Unable connect to node with id node-1 [1000 more like this held back]"
    )


def test_other_kinds_levels_and_our_own_lines_pass() -> None:
    keep = RepeatedLibraryMessages(window_seconds=30, clock=Clock())
    assert keep.filter(record("Unable connect to node with id %s"))
    # Another template, another logger: each kind has its own window.
    assert keep.filter(record("Unable to update metadata from %s"))
    assert keep.filter(record("Unable connect to node with id %s", name="aiokafka.cluster"))
    # Below WARNING nothing is held back, and neither is structlog's own (a dict message).
    for _ in range(3):
        assert keep.filter(record("Heartbeat %s", level=logging.INFO))
        assert keep.filter(record({"event": "outbox batch failed; will retry"}))
