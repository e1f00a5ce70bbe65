"""Who among the staff may read or change what over the HTTP API. Pure rules, no I/O: each
either answers or raises a `Forbidden` whose text is the reason shown to the caller.

* Admin and ops run the directory and see every delivery (the role check itself is the route's
  `require_role`).
* A program manager reads and replaces only their own subscriptions, only for the programs their
  token names (`*` is for admin and ops), and sees only the deliveries about those programs.
* Anyone else may read only their own subscriptions.
"""

from __future__ import annotations

from collections.abc import Iterable

from aihub_notifications.domain.staff import EVERY_PROGRAM, Subscription
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.refusals import Forbidden


def sees_everything(staff: StaffPrincipal) -> bool:
    """Admin and ops: the whole directory, every delivery."""
    return staff.role in (Role.ADMIN, Role.OPS)


def visible_programs(staff: StaffPrincipal) -> list[str] | None:
    """None: every program (admin, ops); else the programs a manager's token names."""
    if sees_everything(staff):
        return None
    return sorted(staff.programs)


def programs_to_list(staff: StaffPrincipal, program_code: str | None) -> list[str] | None:
    """The programs whose deliveries a listing shows: the one asked for, if the caller may see
    it, else all the caller may see (None: no limit)."""
    programs = visible_programs(staff)
    if program_code is None:
        return programs
    if programs is not None and program_code not in programs:
        raise Forbidden(f"you do not manage program {program_code!r}")
    return [program_code]


def check_delivery_visible(staff: StaffPrincipal, program_code: str | None) -> None:
    """A delivery is visible to admin and ops, and to the managers of its program."""
    programs = visible_programs(staff)
    if programs is not None and program_code not in programs:
        raise Forbidden("this delivery is not about a program you manage")


def check_may_read_subscriptions(staff: StaffPrincipal, address: str) -> None:
    if not sees_everything(staff) and address != staff.id:
        raise Forbidden("you may only read your own subscriptions")


def programs_to_replace(
    staff: StaffPrincipal, address: str, wanted: Iterable[Subscription]
) -> frozenset[str] | None:
    """Which of `address`'s subscriptions a replacement by `staff` touches: None for all of them
    (admin, ops), else the programs of a manager's token (their other rows stay)."""
    if sees_everything(staff):
        return None
    if staff.role is not Role.PROGRAM_MANAGER or address != staff.id:
        raise Forbidden("a program manager may only change their own subscriptions")
    for subscription in wanted:
        if not staff.manages(subscription.program_code):
            raise Forbidden(
                f"you do not manage program {subscription.program_code!r}"
                if subscription.program_code != EVERY_PROGRAM
                else "only admin and ops may subscribe to every program"
            )
    return staff.programs
