"""Which reviewer reminder is due when (`domain/reminders.py`), worked out by hand on one
assignment due 2027-02-15 09:00 UTC (18:00 in Seoul) with reminders 48 h and 24 h before: the
48 h one falls due at 02-13 09:00, the 24 h one at 02-14 09:00."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.reminders import (
    REVIEW_REMINDER_REVIEWER,
    OpenAssignment,
    parse_offsets,
    reminder_due,
    reminder_event_id,
    review_reminder,
)
from aihub_shared.contracts.values import Contact

H48, H24 = timedelta(hours=48), timedelta(hours=24)
OFFSETS = (H48, H24)
DUE = datetime(2027, 2, 15, 9, 0, tzinfo=UTC)
A_WEEK_BEFORE = datetime(2027, 2, 8, 9, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 2, day, hour, minute, tzinfo=UTC)


def due(
    now: datetime, *, sent: set[timedelta] | None = None, assigned: datetime = A_WEEK_BEFORE
) -> timedelta | None:
    return reminder_due(
        due_at=DUE, assigned_at=assigned, offsets=OFFSETS, sent=sent or set(), now=now
    )


def test_nothing_before_the_first_reminder_time() -> None:
    assert due(at(13, 8, 59)) is None


def test_the_48_hour_reminder_falls_due_48_hours_before() -> None:
    assert due(at(13, 9, 0)) == H48
    assert due(at(13, 23, 0)) == H48


def test_a_sent_reminder_is_not_due_again() -> None:
    assert due(at(13, 9, 0), sent={H48}) is None
    assert due(at(14, 8, 59), sent={H48}) is None


def test_the_24_hour_reminder_follows_the_48_hour_one() -> None:
    assert due(at(14, 9, 0), sent={H48}) == H24
    assert due(at(14, 9, 30), sent={H48, H24}) is None


def test_after_an_outage_only_the_latest_reminder_goes() -> None:
    """Down from 02-13 08:00 to 02-14 09:30: both have fallen due, one reminder (24 h) is sent,
    and the 48 h one never follows it."""
    assert due(at(14, 9, 30)) == H24
    assert due(at(14, 10, 0), sent={H24}) is None


def test_no_reminder_once_the_due_time_has_passed() -> None:
    """From then on the review is overdue: the managers' digest says so."""
    assert due(DUE) is None
    assert due(at(16, 9, 0)) is None


def test_an_assignment_made_after_a_reminder_time_skips_that_reminder() -> None:
    """Assigned 02-14 00:00, between the two: its assignment mail named the due time; the 24 h
    reminder still comes at 02-14 09:00."""
    late = at(14, 0, 0)
    assert due(at(14, 0, 0), assigned=late) is None
    assert due(at(14, 8, 59), assigned=late) is None
    assert due(at(14, 9, 0), assigned=late) == H24


def test_an_assignment_made_after_every_reminder_time_gets_none() -> None:
    late = at(14, 10, 0)
    for now in (at(14, 10, 0), at(14, 20, 0), at(15, 8, 59)):
        assert due(now, assigned=late) is None


def test_no_offsets_no_reminders() -> None:
    assert (
        reminder_due(due_at=DUE, assigned_at=A_WEEK_BEFORE, offsets=(), sent=(), now=at(14, 9))
        is None
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("48h,24h", (H48, H24)),
        ("24h, 48h, 48h", (H48, H24)),
        (" 90m , 2d ", (timedelta(days=2), timedelta(minutes=90))),
        ("1.5h", (timedelta(minutes=90),)),
        ("", ()),
        (" , ", ()),
    ],
)
def test_parse_offsets(text: str, expected: tuple[timedelta, ...]) -> None:
    assert parse_offsets(text) == expected


@pytest.mark.parametrize(("text", "culprit"), [("48", "'48'"), ("24h,x", "'x'"), ("0h", "'0h'")])
def test_a_bad_offset_is_refused_naming_it(text: str, culprit: str) -> None:
    with pytest.raises(ValueError, match=culprit):
        parse_offsets(text)


def test_the_reminder_event_id_is_one_per_assignment_and_offset() -> None:
    one = reminder_event_id("app-1", "document-review", "Park@Hub.example", H24)
    assert one == reminder_event_id("app-1", "document-review", "park@hub.example", H24)
    assert one != reminder_event_id("app-1", "document-review", "park@hub.example", H48)
    assert one != reminder_event_id("app-1", "presentation-review", "park@hub.example", H24)


def _assignment(label: str | None) -> OpenAssignment:
    return OpenAssignment(
        application_id="0b9d7a3e-0000-4000-8000-000000000001",
        stage_code="document-review",
        reviewer_email="park@hub.example",
        reviewer_name="박심사",
        program_code="growth-residency",
        cohort_code="growth-2027-1",
        due_at=DUE,
        assigned_at=A_WEEK_BEFORE,
        label=label,
    )


@pytest.mark.parametrize(
    ("locale", "phrases"),
    [
        ("ko", ["심사 기한까지 약 24시간", "2027-02-15 18:00 KST", "평가 기준에 따라 점수를"]),
        ("en", ["due in about 24 hours", "2027-02-15 18:00 KST", "Score it against"]),
    ],
)
def test_the_reminder_mail_in_the_reviewer_language(locale: str, phrases: list[str]) -> None:
    reviewer = Contact.model_validate(
        {"name": "박심사", "email": "park@hub.example", "locale": locale}
    )
    [request] = review_reminder(_assignment("지원기업-7F3A"), None, reviewer, H24)
    assert request.template == REVIEW_REMINDER_REVIEWER
    mail = MailRenderer().render(request.template, reviewer.locale, request.context)
    assert mail.locale == locale
    for phrase in phrases:
        assert phrase in mail.text
    assert "지원기업-7F3A" in mail.subject
    assert "/reviews/0b9d7a3e-0000-4000-8000-000000000001" in mail.html


def test_an_application_of_unknown_label_is_named_by_its_id() -> None:
    """Assigned before the labels were kept: whether the stage is blind is unknown, so the mail
    never guesses the startup's name."""
    reviewer = Contact.model_validate({"name": "Kim", "email": "kim@hub.example", "locale": "en"})
    [request] = review_reminder(_assignment(None), None, reviewer, H48)
    assert request.context["startup_name"] == "0b9d7a3e-0000-4000-8000-000000000001"
    assert request.context["hours_before"] == 48
