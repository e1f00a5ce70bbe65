"""Request parameters every staff API reads the same way."""

from __future__ import annotations

from fastapi import Header

CORRELATION_ID_PATTERN = r"^[A-Za-z0-9._:-]+$"
#: Free text in a query: anything but NUL, which Postgres cannot store or compare (a 500 before).
NO_NUL_PATTERN = r"^[^\x00]*$"
#: Deep enough for any real list; beyond Postgres' bigint an offset would be a 500.
MAX_OFFSET = 1_000_000


def correlation_header(
    correlation_id: str | None = Header(
        default=None,
        alias="X-Correlation-Id",
        max_length=128,
        pattern=CORRELATION_ID_PATTERN,
        description="Carried by every event this request causes, for tracing.",
    ),
) -> str | None:
    """FastAPI dependency (`Depends(correlation_header)`): the caller's correlation id, if any."""
    return correlation_id
