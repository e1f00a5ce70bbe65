"""The catalog as staff describe it: programs and their cohorts.

The same models validate the seed file and the HTTP API's bodies, so a cohort that could not be
published as `cohort.published` is refused before it is stored.
"""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from aihub_shared.contracts.privacy import ConsentTextRef, RetentionPeriods
from aihub_shared.contracts.programs import (
    BonusItem,
    CohortQuestion,
    ReviewStage,
    RubricCriterion,
    default_review_stages,
)
from aihub_shared.contracts.values import Code, Contact, FreeText, SingleLineText

FIRST_YEAR, LAST_YEAR = 2000, 2200

# The contracts' models ignore unknown fields (a reader must tolerate a newer writer); a staff
# body must not: a typo such as `requried` would be dropped in silence. The strict versions are
# still the contracts' types, so what they validate publishes as it is.
_STRICT = ConfigDict(extra="forbid", frozen=True)


class StrictQuestion(CohortQuestion):
    model_config = _STRICT


class StrictCriterion(RubricCriterion):
    model_config = _STRICT


class StrictStage(ReviewStage):
    model_config = _STRICT

    criteria: list[StrictCriterion] = Field(min_length=1, max_length=20)  # type: ignore[assignment]
    # Unbounded in the contract; no stage advances more startups than a cohort could hold.
    advance_top_k: int | None = Field(default=None, ge=1, le=10_000)

    @field_validator("criteria", mode="after")
    @classmethod
    def _unique_criteria(cls, criteria: list[StrictCriterion]) -> list[StrictCriterion]:
        # Scores are keyed by criterion code: two criteria with one code cannot both be scored.
        # Checked on the field, so the 422 names the stage's criteria (`review_stages.0.criteria`).
        if len({c.code for c in criteria}) != len(criteria):
            raise PydanticCustomError(
                "criterion_codes_unique", "criterion codes must be unique within a stage"
            )
        return criteria


class StrictBonusItem(BonusItem):
    model_config = _STRICT


class StrictContact(Contact):
    model_config = _STRICT


class StrictConsentText(ConsentTextRef):
    model_config = _STRICT


class StrictRetention(RetentionPeriods):
    model_config = _STRICT


def _default_stages() -> list[StrictStage]:
    return [StrictStage.model_validate(s.model_dump()) for s in default_review_stages()]


class CohortSettings(BaseModel):
    """Everything about a cohort but its code and program (an HTTP update replaces these)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seats: int = Field(ge=0, le=10_000)
    application_opens_at: AwareDatetime
    application_closes_at: AwareDatetime
    starts_on: date | None = None
    ends_on: date | None = None
    max_startup_age_years: int | None = Field(default=None, ge=0, le=100)
    questions: list[StrictQuestion] = Field(default_factory=list, max_length=50)
    review_stages: list[StrictStage] = Field(
        default_factory=_default_stages, min_length=1, max_length=5
    )
    agreement_due_days: int = Field(default=14, ge=1, le=180)
    consent_text: StrictConsentText | None = Field(
        default=None,
        description="The consent text (id, version) submissions must have agreed to.",
    )
    retention: StrictRetention = Field(
        default_factory=StrictRetention,
        description="Days after `ends_on` applicants' data is kept (selected / not selected).",
    )
    bonus_items: list[StrictBonusItem] = Field(default_factory=list, max_length=20)
    bonus_cap: float | None = Field(default=None, gt=0, le=20)

    @field_validator(
        "application_opens_at", "application_closes_at", "starts_on", "ends_on", mode="after"
    )
    @classmethod
    def _in_this_era(cls, value: date | None) -> date | None:
        # ISO 8601 allows year 1 or 9999; converting such a moment to UTC (here) or to Seoul
        # time (in other services) overflows. No cohort is that far away.
        if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
        return value

    # Rules about one list are checked on that list, so a 422 names the field (`review_stages`,
    # `questions`, `bonus_items`) and a form shows the reason there, with a stable `type` a
    # client may say in its own words; only the window's two ends need the whole model.
    @field_validator("review_stages", mode="after")
    @classmethod
    def _stages_add_up(cls, stages: list[StrictStage]) -> list[StrictStage]:
        if sum(stage.weight for stage in stages) != 100:
            raise PydanticCustomError("stage_weights_sum", "review stage weights must sum to 100")
        if len({stage.code for stage in stages}) != len(stages):
            raise PydanticCustomError("stage_codes_unique", "review stage codes must be unique")
        return stages

    @field_validator("questions", mode="after")
    @classmethod
    def _unique_questions(cls, questions: list[StrictQuestion]) -> list[StrictQuestion]:
        if len({q.key for q in questions}) != len(questions):
            raise PydanticCustomError("question_keys_unique", "question keys must be unique")
        return questions

    @field_validator("bonus_items", mode="after")
    @classmethod
    def _unique_bonus_items(cls, items: list[StrictBonusItem]) -> list[StrictBonusItem]:
        if len({b.code for b in items}) != len(items):
            raise PydanticCustomError("bonus_codes_unique", "bonus item codes must be unique")
        return items

    @model_validator(mode="after")
    def _consistent(self) -> CohortSettings:
        if self.application_closes_at <= self.application_opens_at:
            raise ValueError("application_closes_at must be after application_opens_at")
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        asked = {q.key for q in self.questions}
        for item in self.bonus_items:
            if item.answer_key is not None and item.answer_key not in asked:
                raise PydanticCustomError(
                    "bonus_answer_not_asked",
                    "bonus item {code} is earned by answer {answer_key},"
                    " which is not one of the cohort's questions",
                    {"code": item.code, "answer_key": item.answer_key},
                )
        return self


class CohortSpec(CohortSettings):
    code: Code


class ProgramSettings(BaseModel):
    """Everything about a program but its code and cohorts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name_ko: SingleLineText
    name_en: SingleLineText
    partner: SingleLineText | None = None
    description_ko: FreeText = ""
    description_en: FreeText = ""
    program_managers: list[StrictContact] = Field(default_factory=list, max_length=50)


class ProgramSpec(ProgramSettings):
    code: Code
    cohorts: list[CohortSpec] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _unique_cohorts(self) -> ProgramSpec:
        if len({c.code for c in self.cohorts}) != len(self.cohorts):
            raise ValueError("cohort codes must be unique")
        return self


class CatalogSeed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    programs: list[ProgramSpec]

    @model_validator(mode="after")
    def _unique_codes(self) -> CatalogSeed:
        # A program or cohort listed twice would be applied twice, the second silently winning.
        if len({p.code for p in self.programs}) != len(self.programs):
            raise ValueError("program codes must be unique")
        cohorts = [c.code for p in self.programs for c in p.cohorts]
        if len(set(cohorts)) != len(cohorts):
            raise ValueError("cohort codes must be unique across the catalog")
        return self
