"""structlog JSON logs for our code and the libraries', with service, event and correlation ids."""

from __future__ import annotations

import logging
import re
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
            mask_personal_data,
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


#: An address anywhere in a text (a library's message, an exception, a value we log).
_EMAIL = re.compile(r"[^\s@<>\"'(),;:\[\]]+@[^\s@<>\"'(),;:\[\]]+\.[A-Za-z0-9-]+")
#: A business registration number, with or without its dashes (123-45-67890), standing alone.
_BRN = re.compile(r"(?<![\w.:-])[0-9]{3}-?[0-9]{2}-?[0-9]{5}(?![\w.-])")
#: Keys whose value names a person or their startup, whatever the value looks like.
NAME_KEYS = frozenset(
    {"name", "contact_name", "startup_name", "recipient_name", "reviewer_name", "founder"}
)


def mask_text(text: str) -> str:
    """Every address masked (`k***@example.com`) and every registration number hidden."""
    text = _EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    return _BRN.sub("**********", text)


def _masked(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if depth < 4 and isinstance(value, dict):
        return {
            k: mask_name(v) if k in NAME_KEYS and isinstance(v, str) else _masked(v, depth + 1)
            for k, v in value.items()
        }
    if depth < 4 and isinstance(value, list | tuple):
        return [_masked(v, depth + 1) for v in value]
    return value


def mask_name(name: str) -> str:
    return f"{name[:1]}***" if name else name


def mask_personal_data(_logger: Any, _method: str, event: Any) -> Any:
    """The last step before a line is written, for our lines and every library's alike: no full
    address, name or registration number reaches a log (PIPA, GDPR: logs are kept and copied)."""
    return _masked(event)
