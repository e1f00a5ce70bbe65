"""The daily digest for program managers, and when it runs. Pure: figures in, mail out; the
clock is a parameter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from aihub_notifications.domain.mails import DAILY_DIGEST_MANAGER, MailRequest
from aihub_notifications.domain.seoul import SEOUL
from aihub_shared.contracts.values import Contact


@dataclass(frozen=True)
class CohortFigures:
    """What the digest says about one cohort, from this service's replicas."""

    program_code: str
    program_name_ko: str
    program_name_en: str
    cohort_code: str
    new_applications: int
    pending_reviews: int
    seats: int | None
    seats_taken: int
    #: Pending reviews whose due time has passed (part of `pending_reviews`).
    overdue_reviews: int = 0

    @property
    def seats_left(self) -> int | None:
        return None if self.seats is None else max(self.seats - self.seats_taken, 0)


def compose_digest(
    recipient: Contact, cohorts: Sequence[CohortFigures], day: date
) -> MailRequest | None:
    """One mail for one manager covering all their cohorts, or None when there is nothing to
    tell (no cohort at all). A quiet day with cohorts still gets its digest: "nothing new" is
    news to a manager, and a missing mail would look like a broken service."""
    if not cohorts:
        return None
    ordered = sorted(cohorts, key=lambda c: (c.program_code, c.cohort_code))
    rows = [
        {
            "program_name": c.program_name_en if recipient.locale == "en" else c.program_name_ko,
            "cohort_code": c.cohort_code,
            "new_applications": c.new_applications,
            "pending_reviews": c.pending_reviews,
            "overdue_reviews": c.overdue_reviews,
            "seats": c.seats,
            "seats_taken": c.seats_taken,
            "seats_left": c.seats_left,
        }
        for c in ordered
    ]
    context = {
        "recipient_name": recipient.name,
        "day": day.isoformat(),
        "cohorts": rows,
        "new_applications": sum(c.new_applications for c in ordered),
        "pending_reviews": sum(c.pending_reviews for c in ordered),
        "overdue_reviews": sum(c.overdue_reviews for c in ordered),
    }
    programs = {c.program_code for c in ordered}
    return MailRequest(
        DAILY_DIGEST_MANAGER,
        recipient,
        context,
        program_code=next(iter(programs)) if len(programs) == 1 else None,
    )


def digest_day(moment: datetime) -> date:
    """The Seoul calendar day a moment falls on."""
    return moment.astimezone(SEOUL).date()


def next_run_at(now: datetime, at: time) -> datetime:
    """The next time the digest runs at `at` Seoul time, strictly after `now` (aware)."""
    local = now.astimezone(SEOUL)
    candidate = datetime.combine(local.date(), at, tzinfo=SEOUL)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=SEOUL)
    return candidate


def due_day(now: datetime, at: time) -> date | None:
    """The digest day whose run time has come by `now` (today in Seoul, once `at` has passed)."""
    local = now.astimezone(SEOUL)
    if local.time() >= at:
        return local.date()
    return None
