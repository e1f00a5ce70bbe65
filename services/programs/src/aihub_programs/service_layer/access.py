"""Who may do what, and see what (roles come from the staff token, `aihub_shared.identity`).

- every staff role reads the catalog and the outcomes (reviewers need the cohorts' stages and
  questions, ops the state);
- admins create and change programs, and everything else;
- a program manager creates and changes the cohorts of the programs in their token, and cancels
  enrollments or records signed agreements there (`require_manager`);
- reviewers see a cohort without who holds or waits for its seats (`sees_enrollments`);
- reviewers and ops change nothing: their role is refused by the route's dependency
  (`aihub_shared.runtime.http_auth.require_role`) before any use case runs.
"""

from __future__ import annotations

from collections.abc import Callable

from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.refusals import Forbidden


class NotYourProgram(Forbidden):
    """The caller does not manage the program the request is about (403)."""


def require_manager(
    staff: StaffPrincipal, program_code: str, *, named: Callable[[str], str] = repr
) -> None:
    """Admins manage every program, a program manager those in their token. `named` is how the
    refusal names the program: the catalog's refusals quote it, the enrollments' never did, and
    the texts are kept as callers know them."""
    if not staff.manages(program_code):
        raise NotYourProgram(
            f"you do not manage program {named(program_code)}",
            code="not_your_program",
            params={"program": program_code},
        )


def sees_enrollments(staff: StaffPrincipal) -> bool:
    """Reviewers (often from outside the hub) see a cohort and its counts, not who holds or waits
    for a seat, their registration numbers or why they left."""
    return staff.role != Role.REVIEWER
