"""Reminders to reviewers before an assignment is due (issue 14, rule 8). Pure: the clock, the
offsets and what was already sent are parameters.

The rule, for an open assignment (unscored, not withdrawn, its stage still open for the
application, its reviewer under no undecided challenge there) due at `due`, with offsets such as
48 h and 24 h:

* the reminder of offset `o` falls due at `due - o`, and only while `due` has not passed (after
  that the review is overdue: the managers' digest says so, the reviewer is not nagged);
* an assignment made after `due - o` gets no reminder of offset `o`: its assignment mail,
  which names the due time, was the reminder;
* when several reminders fall due at once (the service was down, or an assignment made between
  two offsets), only the latest of them (the smallest offset) is sent, and one of an offset no
  larger than it already sent makes it moot: a reviewer never gets two reminders in a row for
  one assignment;
* a challenge of the reviewer (기피 신청) pauses the assignment: no reminder falls due while it
  is open. Dismissed, the assignment is open again with its due time unchanged, and the rule
  above applies as after any pause: of the reminders that fell due meanwhile only the latest
  is sent, and none once the due time has passed. Upheld, the reviewer is off the stage.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aihub_notifications.domain.mails import MailRequest, ProgramNames, address_to, seoul_time
from aihub_notifications.domain.replicas import CohortReplica
from aihub_shared.contracts.values import Contact

REVIEW_REMINDER_REVIEWER = "review_reminder_reviewer"
#: Namespace of the `reminder.sent` event ids: one id per (assignment, offset), whoever sends it.
_REMINDER_NAMESPACE = uuid.UUID("8f1d6c2a-4b7e-5a90-b3c1-2d4e6f708192")
_OFFSET = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hmd])\s*$")
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """`"48h,24h"` → (48 h, 24 h), largest first, duplicates once; `""` → none (no reminders).
    Units: `m`inutes, `h`ours, `d`ays. Raises ValueError with the offending part."""
    found: set[timedelta] = set()
    for part in (p for p in text.split(",") if p.strip()):
        match = _OFFSET.match(part)
        if match is None:
            raise ValueError(f"{part.strip()!r} is not an offset such as 48h, 90m or 2d")
        offset = float(match.group(1)) * _UNITS[match.group(2)]
        if offset < timedelta(minutes=1):
            raise ValueError(f"{part.strip()!r}: an offset is at least one minute")
        found.add(offset)
    return tuple(sorted(found, reverse=True))


def reminder_due(
    *,
    due_at: datetime,
    assigned_at: datetime,
    offsets: Iterable[timedelta],
    sent: Collection[timedelta],
    now: datetime,
) -> timedelta | None:
    """The offset whose reminder is to be sent now for one open assignment, or None."""
    if now >= due_at:
        return None
    fallen_due = [o for o in offsets if assigned_at <= due_at - o <= now]
    if not fallen_due:
        return None
    latest = min(fallen_due)
    if any(s <= latest for s in sent):
        return None
    return latest


def reminder_event_id(
    application_id: str, stage_code: str, reviewer_email: str, offset: timedelta
) -> str:
    """The `reminder.sent` id of one (assignment, offset): the same in every instance, so the
    mail it causes has one delivery identity too."""
    key = f"{application_id}|{stage_code}|{reviewer_email.lower()}|{int(offset.total_seconds())}"
    return str(uuid.uuid5(_REMINDER_NAMESPACE, key))


@dataclass(frozen=True)
class OpenAssignment:
    """An assignment the reminder scan found, with what its mail needs."""

    application_id: str
    stage_code: str
    reviewer_email: str
    reviewer_name: str
    program_code: str
    cohort_code: str
    due_at: datetime
    assigned_at: datetime
    #: What the reviewer knows the application as: a blind stage's label, else the startup's
    #: name; None when that is unknown (assigned before reminders existed): the id stands in.
    label: str | None


def review_reminder(
    assignment: OpenAssignment,
    cohort: CohortReplica | None,
    reviewer: Contact,
    offset: timedelta,
) -> list[MailRequest]:
    """The reminder mail, in the reviewer's language, with the button to the scoring page."""
    program = ProgramNames.of(cohort, assignment.program_code)
    common = {
        "cohort_code": assignment.cohort_code,
        "partner": cohort.partner if cohort else None,
        "startup_name": assignment.label or assignment.application_id,
        "application_id": assignment.application_id,
        "stage_code": assignment.stage_code,
        "due": seoul_time(assignment.due_at),
        "hours_before": _hours(offset),
    }
    return address_to(REVIEW_REMINDER_REVIEWER, [reviewer], program, common)


def _hours(offset: timedelta) -> float | int:
    """48 h → 48, 90 min → 1.5: how the mail says how long before the due time it was sent."""
    hours = round(offset / timedelta(hours=1), 1)
    return int(hours) if hours.is_integer() else hours
