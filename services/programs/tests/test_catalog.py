"""The hub's own catalog: its real programs, publishable as they are."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from aihub_programs.domain.catalog import CatalogSeed
from aihub_programs.service_layer.seeding import load_seed
from services.programs.tests.support import cohort_spec, program_spec


def test_the_hub_catalog_holds_its_real_programs() -> None:
    seed = load_seed()
    by_code = {p.code: p for p in seed.programs}
    assert set(by_code) == {"growth-residency", "cyber-valley-batch", "membership", "ai-education"}
    # Four spaces in the anchor facility: three already taken, one filled by open recruitment.
    assert by_code["growth-residency"].cohorts[0].seats == 4
    assert "four spaces" in by_code["growth-residency"].description_en
    assert by_code["cyber-valley-batch"].partner == "Cyber Valley"
    for program in seed.programs:
        assert program.description_ko
        assert program.description_en
        for cohort in program.cohorts:
            assert cohort.questions
            assert sum(stage.weight for stage in cohort.review_stages) == 100


def test_a_catalog_listing_a_program_or_cohort_twice_is_refused() -> None:
    program = program_spec(cohorts=[cohort_spec("cv-2027-1")]).model_dump()
    other = {**program_spec("other").model_dump(), "cohorts": program["cohorts"]}
    with pytest.raises(ValidationError, match="program codes must be unique"):
        CatalogSeed.model_validate({"programs": [program, program]})
    with pytest.raises(ValidationError, match="cohort codes must be unique across"):
        CatalogSeed.model_validate({"programs": [program, other]})


def test_bonus_items_and_selection_rules_are_checked_before_they_are_stored() -> None:
    item = {"code": "youth-founder", "name_ko": "청년", "name_en": "Young", "points": 1}
    with pytest.raises(ValidationError, match="bonus item codes must be unique"):
        cohort_spec(bonus_items=[item, item])
    with pytest.raises(ValidationError, match="points"):
        cohort_spec(bonus_items=[{**item, "points": 0}])
    stage = cohort_spec().review_stages[0].model_dump(mode="json")
    with pytest.raises(ValidationError, match="trim_extremes_from"):
        cohort_spec(review_stages=[{**stage, "weight": 100, "trim_extremes_from": 2}])
    with pytest.raises(ValidationError, match="calibration"):
        cohort_spec(review_stages=[{**stage, "weight": 100, "calibration": "median"}])


def test_a_bonus_item_derived_from_answers_names_one_of_the_cohorts_questions() -> None:
    derived = {
        "code": "youth-founder",
        "name_ko": "청년",
        "name_en": "Young",
        "points": 1,
        "answer_key": "founder_age",
        "answer_value": "under-39",
    }
    with pytest.raises(ValidationError, match="founder_age, which is not one of"):
        cohort_spec(bonus_items=[derived])
    with pytest.raises(ValidationError, match="go together"):
        cohort_spec(bonus_items=[{**derived, "answer_value": None}])
    question = {"key": "founder_age", "label_ko": "대표자 연령대", "label_en": "Founder's age"}
    spec = cohort_spec(bonus_items=[derived], questions=[question])
    assert spec.bonus_items[0].answer_value == "under-39"
