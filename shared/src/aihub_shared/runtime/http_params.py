"""Request parameters every staff API reads the same way."""

from __future__ import annotations

from fastapi import Header

CORRELATION_ID_PATTERN = r"^[A-Za-z0-9._:-]+$"


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
