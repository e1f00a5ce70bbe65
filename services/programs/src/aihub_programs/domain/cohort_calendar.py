"""When a cohort has ended: days are Seoul's, whatever the server's clock zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")


def cohort_ends_at(ends_on: date | None) -> datetime | None:
    """The moment a cohort has ended: the end of its last day (`ends_on`) in Seoul."""
    if ends_on is None:
        return None
    return datetime.combine(ends_on + timedelta(days=1), time(), tzinfo=SEOUL)
