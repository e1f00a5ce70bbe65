"""Staff notices of events that arrive together, grouped: one mail per staff member, template and
program instead of one per event (issue 16). Pure: the caller plans each event's mails as before
(`mails.py`), hands them here in the events' order, and queues what comes back.

Why: a cohort of 10,000 applications sent its one program manager 30,000 mails (a new
application, a decision and an enrollment change each), which nobody reads and which real mail
providers throttle long before (Google Workspace: 2,000 a day per user). Staff mails of the
templates in `GROUPED_TEMPLATES` planned for the same (recipient, template, program) within one
batch of events become one mail listing them. A group of one is the very mail it was before
(same template, same values, same delivery identity); applicant mails and every other template
are left one per event.

A grouped mail's cause is its first event: its delivery identity is (first event id, recipient,
grouped template), and it names every event it tells of (`Notice.events`), so "which mail told
about event X" still has an answer. The consumer's inbox rows commit with the deliveries, so an
event handled once is grouped once, whatever a later redelivery's batch looks like.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aihub_notifications.domain.deliveries import recipient_key, single_line
from aihub_notifications.domain.mails import (
    APPLICATION_DECIDED_MANAGER,
    APPLICATION_RECEIVED_MANAGER,
    ENROLLMENT_CHANGED_MANAGER,
    MailRequest,
)

APPLICATIONS_RECEIVED_MANAGER = "applications_received_manager"
APPLICATIONS_DECIDED_MANAGER = "applications_decided_manager"
ENROLLMENTS_CHANGED_MANAGER = "enrollments_changed_manager"

#: The per-event staff template → the template of several of them in one mail.
GROUPED_TEMPLATES: Mapping[str, str] = {
    APPLICATION_RECEIVED_MANAGER: APPLICATIONS_RECEIVED_MANAGER,
    APPLICATION_DECIDED_MANAGER: APPLICATIONS_DECIDED_MANAGER,
    ENROLLMENT_CHANGED_MANAGER: ENROLLMENTS_CHANGED_MANAGER,
}

#: How many a grouped mail lists; the rest is "and N more" with a link to the cohort's page.
MAX_LISTED = 50

#: What a grouped mail shows of each event (those its single mail's values have).
ITEM_KEYS = (
    "application_id",
    "startup_name",
    "cohort_code",
    "contact_name",
    "outcome",
    "rank",
    "final_score",
    "change",
    "waitlist_position",
    "agreement_due",
    "given_up",
)


@dataclass(frozen=True)
class Planned:
    """The mails one event causes, planned as if it came alone."""

    event_id: str
    requests: Sequence[MailRequest]


@dataclass(frozen=True)
class Notice:
    """One mail to queue and the events it tells of, in their order; the first is its cause."""

    request: MailRequest
    event_ids: tuple[str, ...]

    @property
    def grouped(self) -> bool:
        return len(self.event_ids) > 1


def group_staff_notices(planned: Sequence[Planned]) -> list[Notice]:
    """Every planned mail once: those of a grouped template merged per (recipient, template,
    program) in the events' order, a group of one as it was planned; the rest one per event."""
    notices: list[Notice] = []
    groups: dict[tuple[str, str, str | None], list[tuple[str, MailRequest]]] = {}
    for event in planned:
        for request in event.requests:
            if request.template not in GROUPED_TEMPLATES:
                notices.append(Notice(request, (event.event_id,)))
                continue
            key = (
                recipient_key(str(request.recipient.email)),
                request.template,
                request.program_code,
            )
            groups.setdefault(key, []).append((event.event_id, request))
    for members in groups.values():
        if len(members) == 1:
            event_id, request = members[0]
            notices.append(Notice(request, (event_id,)))
        else:
            notices.append(Notice(grouped_request(members), tuple(e for e, _ in members)))
    return notices


def grouped_request(members: Sequence[tuple[str, MailRequest]]) -> MailRequest:
    """The one mail telling of several events' requests to one recipient (same template and
    program): the first `MAX_LISTED` listed, counted in full, with the cohorts they are in."""
    first, last = members[0][1], members[-1][1]
    items = [_item(request.context) for _, request in members]
    outcomes = [item.get("outcome") for item in items]
    cohort_codes = list(dict.fromkeys(item["cohort_code"] for item in items))
    # The newest word on the seats (enrollment events carry the count after each change), when
    # the mail is about one cohort: two cohorts' counts would not add up to one line.
    seats = last.context if len(cohort_codes) == 1 else {}
    context: dict[str, Any] = {
        "recipient_name": first.context["recipient_name"],
        "program_name": first.context["program_name"],
        "total": len(items),
        "items": items[:MAX_LISTED],
        "more": max(0, len(items) - MAX_LISTED),
        # In the order they first appear: where the unlisted ones are.
        "cohort_codes": cohort_codes,
        "accepted": outcomes.count("accepted"),
        "rejected": outcomes.count("rejected"),
        "seats": seats.get("seats"),
        "seats_taken": seats.get("seats_taken"),
    }
    return MailRequest(
        GROUPED_TEMPLATES[first.template], first.recipient, context, first.program_code
    )


def _item(context: Mapping[str, Any]) -> dict[str, Any]:
    # Nested values escape the renderer's single-line rule for top-level strings: apply it here.
    return {
        key: single_line(value) if isinstance(value, str) else value
        for key, value in context.items()
        if key in ITEM_KEYS
    }
