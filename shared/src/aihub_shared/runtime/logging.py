"""structlog JSON logs for our code and the libraries', with service, event and correlation ids."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

import structlog


def configure_logging(service: str, *, level: str = "INFO", json: bool = True) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    handler.addFilter(RepeatedLibraryMessages())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiokafka is chatty at INFO about every rebalance step; warnings still come through.
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)


class RepeatedLibraryMessages(logging.Filter):
    """Lets a library's warning or error through once per `window_seconds` per kind of message.

    During a Kafka outage aiokafka logs the same few errors for every connection attempt of every
    client (about 27,000 lines in 45 s); one line per kind per window says as much. The next line
    let through after a quiet spell tells how many were held back. Our own structlog lines (their
    `msg` is a dict) and anything below WARNING pass untouched.
    """

    def __init__(
        self, window_seconds: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self._window = window_seconds
        self._clock = clock
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or not isinstance(record.msg, str):
            return True
        key = (record.name, record.levelno, record.msg)
        now = self._clock()
        shown_at, held_back = self._seen.get(key, (float("-inf"), 0))
        if now - shown_at < self._window:
            self._seen[key] = (shown_at, held_back + 1)
            return False
        if held_back:
            # Appended to the template, not formatted: no `%` may reach the args' formatting.
            record.msg = f"{record.msg} [{held_back} more like this held back]"
        if len(self._seen) > 1_000:  # templates are few; this only bounds a pathological library
            self._seen.clear()
        self._seen[key] = (now, 0)
        return True


def mask_email(address: str) -> str:
    """`kim@example.com` → `k***@example.com`: enough for ops to tell mails apart, no more."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"
