"""Who is calling: a staff member with a role. Plain values, so that service layers and domain
rules can ask `principal.manages(program)` without importing a web framework or a JWT library."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    PROGRAM_MANAGER = "program_manager"
    REVIEWER = "reviewer"
    OPS = "ops"


@dataclass(frozen=True)
class StaffPrincipal:
    """Who is calling. ``id`` is the staff member's e-mail address, in lower case."""

    id: str
    name: str
    role: Role
    programs: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def manages(self, program_code: str) -> bool:
        """Admins manage every program; a program manager those the catalog lists them for."""
        return self.is_admin or (
            self.role is Role.PROGRAM_MANAGER and program_code in self.programs
        )
