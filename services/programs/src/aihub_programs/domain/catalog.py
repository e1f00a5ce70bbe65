"""The catalog as staff describe it: programs and their cohorts."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from aihub_shared.contracts.values import Code, Contact, SingleLineText


class CohortSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Code
    seats: int = Field(ge=0, le=10_000)
    application_opens_at: AwareDatetime
    application_closes_at: AwareDatetime
    starts_on: date | None = None
    ends_on: date | None = None
    max_startup_age_years: int | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _window_in_order(self) -> CohortSpec:
        if self.application_closes_at <= self.application_opens_at:
            raise ValueError("application_closes_at must be after application_opens_at")
        return self


class ProgramSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Code
    name_ko: SingleLineText
    name_en: SingleLineText
    partner: SingleLineText | None = None
    description: str = Field(default="", max_length=5000)
    program_managers: list[Contact] = Field(default_factory=list, max_length=50)
    cohorts: list[CohortSpec] = Field(default_factory=list)


class CatalogSeed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    programs: list[ProgramSpec]
