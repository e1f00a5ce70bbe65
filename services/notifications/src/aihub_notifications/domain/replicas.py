"""What this service keeps of other services' state, built only from their events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from aihub_shared.contracts.applications import ApplicationReceived
from aihub_shared.contracts.programs import CohortPublished
from aihub_shared.contracts.values import Contact, Locale


@dataclass(frozen=True)
class ReviewStageName:
    """A review stage as mails name it: 서류평가 / Document review, never `document-review`."""

    code: str
    name_ko: str
    name_en: str

    def name(self, locale: Locale) -> str:
        return self.name_en if locale == "en" else self.name_ko


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
    #: In review order; empty until the cohort is published with them.
    review_stages: tuple[ReviewStageName, ...] = ()

    @property
    def seats_left(self) -> int | None:
        return None if self.seats is None else max(self.seats - self.seats_taken, 0)

    @classmethod
    def of(cls, data: CohortPublished) -> CohortReplica:
        """As `cohort.published` says (the seats taken come from enrollment events)."""
        return cls(
            cohort_code=data.cohort_code,
            program_code=data.program_code,
            program_name_ko=data.program_name_ko,
            program_name_en=data.program_name_en,
            partner=data.partner,
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            program_managers=tuple(data.program_managers),
            seats=data.seats,
            review_stages=tuple(
                ReviewStageName(stage.code, stage.name_ko, stage.name_en)
                for stage in data.review_stages
            ),
        )

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

    @classmethod
    def of(cls, data: ApplicationReceived) -> ApplicantReplica:
        return cls(
            application_id=data.application_id,
            program_code=data.program_code,
            cohort_code=data.cohort_code,
            startup_name=data.startup_name,
            contact=data.contact,
        )
