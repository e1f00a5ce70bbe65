"""What this service keeps of other services' state, built only from their events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from aihub_shared.contracts.values import Contact, Locale


@dataclass(frozen=True)
class CohortReplica:
    """A cohort and its program as last published on `programs.catalog`."""

    cohort_code: str
    program_code: str
    program_name_ko: str
    program_name_en: str
    partner: str | None
    starts_on: date | None
    ends_on: date | None
    program_managers: tuple[Contact, ...]
    seats: int | None = None
    seats_taken: int = 0

    @property
    def seats_left(self) -> int | None:
        return None if self.seats is None else max(self.seats - self.seats_taken, 0)

    def program_name(self, locale: Locale) -> str:
        return self.program_name_en if locale == "en" else self.program_name_ko


@dataclass(frozen=True)
class ApplicantReplica:
    """The startup behind an application and the person who writes for it."""

    application_id: str
    program_code: str
    cohort_code: str
    startup_name: str
    contact: Contact
