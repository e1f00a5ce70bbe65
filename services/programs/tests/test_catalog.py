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
