"""The daily digest: its composition as a pure function and its schedule in Seoul time (the
scheduler on the real Postgres is `test_digest_scheduler_integration.py`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from aihub_notifications.domain.digest import (
    CohortFigures,
    compose_digest,
    digest_day,
    due_day,
    next_run_at,
)
from aihub_notifications.domain.mails import DAILY_DIGEST_MANAGER
from aihub_notifications.domain.seoul import SEOUL
from services.notifications.tests.support import (
    manager,
)

EIGHT = time(8, 0)


def figures(cohort: str, new: int, pending: int, seats: int | None, taken: int) -> CohortFigures:
    return CohortFigures(
        "cyber-valley", "사이버밸리", "Cyber Valley", cohort, new, pending, seats, taken
    )


def test_the_digest_sums_up_every_cohort_of_the_manager_in_their_language() -> None:
    request = compose_digest(
        manager(1, "en"),
        [figures("cv-2", 1, 0, None, 0), figures("cv-1", 3, 5, 3, 2)],
        date(2027, 2, 10),
    )
    assert request is not None
    assert request.template == DAILY_DIGEST_MANAGER
    assert request.program_code == "cyber-valley"
    context = request.context
    assert (context["new_applications"], context["pending_reviews"]) == (4, 5)
    assert [(c["cohort_code"], c["seats_left"]) for c in context["cohorts"]] == [
        ("cv-1", 1),
        ("cv-2", None),
    ]
    assert {c["program_name"] for c in context["cohorts"]} == {"Cyber Valley"}
    assert context["day"] == "2027-02-10"


def test_no_cohort_no_digest_and_seats_never_go_negative() -> None:
    assert compose_digest(manager(1), [], date(2027, 2, 10)) is None
    assert figures("cv-1", 0, 0, 2, 5).seats_left == 0


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 07:59 in Seoul (22:59 UTC the day before): today at 08:00.
        (datetime(2027, 2, 9, 22, 59, tzinfo=UTC), datetime(2027, 2, 9, 23, 0, tzinfo=UTC)),
        # 08:00 exactly has run: tomorrow.
        (datetime(2027, 2, 9, 23, 0, tzinfo=UTC), datetime(2027, 2, 10, 23, 0, tzinfo=UTC)),
        # 15:00 UTC is midnight in Seoul: the same Seoul day's 08:00.
        (datetime(2027, 2, 10, 15, 0, tzinfo=UTC), datetime(2027, 2, 10, 23, 0, tzinfo=UTC)),
    ],
)
def test_the_next_run_is_at_the_set_time_in_seoul(now: datetime, expected: datetime) -> None:
    assert next_run_at(now, EIGHT) == expected


def test_the_due_day_is_the_seoul_day_once_the_time_has_come() -> None:
    assert due_day(datetime(2027, 2, 9, 22, 59, tzinfo=UTC), EIGHT) is None
    assert due_day(datetime(2027, 2, 9, 23, 0, tzinfo=UTC), EIGHT) == date(2027, 2, 10)
    assert digest_day(datetime(2027, 2, 9, 23, 0, tzinfo=UTC)) == date(2027, 2, 10)


def test_seoul_without_a_time_zone_database_is_the_same_clock() -> None:
    fixed = timezone(timedelta(hours=9), "KST")
    for moment in (datetime(1990, 7, 1, 12, tzinfo=UTC), datetime(2027, 1, 1, 0, tzinfo=UTC)):
        assert moment.astimezone(SEOUL).utcoffset() == moment.astimezone(fixed).utcoffset()
