"""Who may do what to which application (roles come from the staff token).

- admin: everything.
- program_manager: everything on the programs in their token.
- reviewer (or any staff member assigned as one): reads the applications they are assigned,
  scores them and declares conflicts — only their own assignments.
- ops: submits applications over HTTP on behalf of a publishing system and records withdrawals
  the applicant asked for; reads nothing.
"""

from __future__ import annotations

from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.refusals import Forbidden


def require_manager(staff: StaffPrincipal, program_code: str) -> None:
    if not staff.manages(program_code):
        raise Forbidden(f"{staff.id} does not manage program {program_code}")


def require_withdrawal_right(staff: StaffPrincipal, program_code: str) -> None:
    if staff.role is not Role.OPS:
        require_manager(staff, program_code)


def require_reader(staff: StaffPrincipal, program_code: str, *, assigned: bool) -> None:
    if not (staff.manages(program_code) or assigned):
        raise Forbidden(f"{staff.id} neither manages program {program_code} nor reviews this")
