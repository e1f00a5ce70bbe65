"""The staff directory and who among the staff gets which kind of mail. Pure rules, no I/O.

Two sources name the staff of a program: the cohort's `program_managers` (from the catalog) and
the directory kept here over HTTP. The rule that joins them:

* someone in the directory gets exactly the kinds they subscribed to (for that program, or `*`
  for every program), while active — the directory is where a manager opts out;
* a program manager the catalog lists but the directory does not know gets every kind a program
  manager gets by default (`MANAGER_DEFAULT_KINDS`), so a new cohort works before anyone
  edits the directory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from aihub_notifications.domain.deliveries import recipient_key
from aihub_shared.contracts.values import Contact, Locale

EVERY_PROGRAM = "*"


class MailKind(StrEnum):
    """What a staff member can subscribe to. A reviewer's assignments are not a subscription:
    `review.assigned` always goes to the reviewer it names (unless inactive in the directory)."""

    NEW_APPLICATION = "new_application"
    INELIGIBLE = "ineligible"
    DECISION = "decision"
    ENROLLMENT = "enrollment"
    COHORT_FILLED = "cohort_filled"
    DEAD_LETTERS = "dead_letters"
    DAILY_DIGEST = "daily_digest"
    APPEAL = "appeal"


#: What a program manager listed on a cohort gets while the directory does not know them.
MANAGER_DEFAULT_KINDS = frozenset(
    {
        MailKind.NEW_APPLICATION,
        MailKind.INELIGIBLE,
        MailKind.DECISION,
        MailKind.ENROLLMENT,
        MailKind.COHORT_FILLED,
        MailKind.DAILY_DIGEST,
        MailKind.APPEAL,
    }
)


@dataclass(frozen=True)
class Subscription:
    kind: MailKind
    program_code: str = EVERY_PROGRAM

    def covers(self, kind: MailKind, program_code: str | None) -> bool:
        return self.kind == kind and (
            self.program_code == EVERY_PROGRAM or self.program_code == program_code
        )


@dataclass(frozen=True)
class StaffMember:
    email: str
    name: str
    locale: Locale
    role: str
    active: bool = True
    subscriptions: tuple[Subscription, ...] = field(default_factory=tuple)

    @property
    def contact(self) -> Contact:
        return Contact.model_validate(
            {"name": self.name, "email": self.email, "locale": self.locale}
        )

    def wants(self, kind: MailKind, program_code: str | None) -> bool:
        return self.active and any(s.covers(kind, program_code) for s in self.subscriptions)


def staff_recipients(
    kind: MailKind,
    program_code: str | None,
    *,
    cohort_managers: Sequence[Contact],
    directory: Iterable[StaffMember],
) -> list[Contact]:
    """Who among the staff gets a mail of `kind` about `program_code`, each once, catalog order
    first, then the directory's subscribers by address."""
    known = {recipient_key(m.email): m for m in directory}
    chosen: dict[str, Contact] = {}
    for manager in cohort_managers:
        key = recipient_key(str(manager.email))
        member = known.get(key)
        wanted = member.wants(kind, program_code) if member else kind in MANAGER_DEFAULT_KINDS
        if wanted and key not in chosen:
            # The directory's name and language win: that is what the person set.
            chosen[key] = member.contact if member else manager
    for key in sorted(known):
        member = known[key]
        if key not in chosen and member.wants(kind, program_code):
            chosen[key] = member.contact
    return list(chosen.values())


def reviewer_recipient(
    reviewer_id: str, reviewer_name: str, directory: Iterable[StaffMember]
) -> Contact | None:
    """Whom a `review.assigned` mail goes to: the reviewer it names, with the directory's name
    and language for them (Korean when unknown); None while the directory has them inactive."""
    known = {recipient_key(m.email): m for m in directory}
    member = known.get(recipient_key(reviewer_id))
    if member is None:
        return Contact.model_validate({"name": reviewer_name, "email": reviewer_id, "locale": "ko"})
    return member.contact if member.active else None
