"""The hub's time zone. Korea has kept UTC+9 without daylight saving since 1988, so where the
system has no time-zone database (slim container images) a fixed +09:00 is the same clock."""

from __future__ import annotations

from datetime import timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _seoul() -> tzinfo:
    try:
        return ZoneInfo("Asia/Seoul")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=9), "KST")


SEOUL = _seoul()
