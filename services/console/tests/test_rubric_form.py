"""The settings form's stage, rubric and bonus rows to the catalog's body and back."""

from __future__ import annotations

from aihub_console.domain.rubric_form import (
    rows_from_form,
    rows_from_settings,
    rubric_body,
)

STAGES = [
    {
        "code": "docs",
        "name_ko": "서류평가",
        "name_en": "Documents",
        "weight": 30,
        "min_reviewers": 2,
        "cutoff_score": 40.0,
        "blind": True,
        "pledge_required": False,
        "calibration": "z-score",
        "criteria": [
            {"code": "tech", "name_ko": "기술성", "name_en": "Tech", "weight": 60, "cutoff": 30.5},
            {"code": "team", "name_ko": "팀", "name_en": "Team", "weight": 40},
        ],
    },
    {
        "code": "pitch",
        "name_ko": "발표평가",
        "name_en": "Pitch",
        "weight": 70,
        "criteria": [{"code": "fit", "name_ko": "적합성", "name_en": "Fit", "weight": 1}],
    },
]


def as_form(stages: list[dict[str, object]]) -> dict[str, str]:
    """What the browser posts for the page rendered from `stages` (blank rows included)."""
    rows = rows_from_settings(
        stages, [{"code": "youth", "name_ko": "청년", "name_en": "Youth", "points": 1.0}]
    )
    form: dict[str, str] = {}
    for s, stage in rows.stages.items():
        form |= {f"review_stages.{s}.{k}": v for k, v in stage.values.items()}
        for c, criterion in stage.children.items():
            form |= {f"review_stages.{s}.criteria.{c}.{k}": v for k, v in criterion.values.items()}
            form |= {f"review_stages.{s}.criteria.{c}.code": criterion.get("code")}
        form[f"review_stages.{s}.code"] = stage.get("code")
    for b, item in rows.bonus_items.items():
        form |= {f"bonus_items.{b}.{k}": v for k, v in item.values.items()}
        form[f"bonus_items.{b}.code"] = item.get("code")
    return form


def test_an_unchanged_form_sends_the_settings_back_as_they_were() -> None:
    body = rubric_body(rows_from_form(as_form(STAGES)))
    first, second = body.review_stages
    assert first["code"] == "docs"
    assert first["weight"] == "30"
    assert (first["cutoff_score"], first["blind"], first["calibration"]) == ("40", True, "z-score")
    assert first["pledge_required"] is False
    assert [c["code"] for c in first["criteria"]] == ["tech", "team"]
    assert first["criteria"][0]["cutoff"] == "30.5"
    assert "cutoff" not in first["criteria"][1]
    assert "pass_threshold" not in first  # blank: not set
    assert second["calibration"] == "none"
    assert "min_reviewers" not in second
    assert body.bonus_items == [
        {"code": "youth", "name_ko": "청년", "name_en": "Youth", "points": "1"}
    ]


def test_blank_rows_are_offered_and_left_out() -> None:
    rows = rows_from_settings(STAGES, [])
    assert sorted(rows.stages) == [0, 1, 2]  # a blank new stage
    assert sorted(rows.stages[0].children) == [0, 1, 2]  # a blank new criterion
    assert sorted(rows.bonus_items) == [0]
    body = rubric_body(rows)
    assert [s["code"] for s in body.review_stages] == ["docs", "pitch"]
    assert body.bonus_items == []


def test_removed_rows_are_left_out_and_the_service_reasons_find_their_rows() -> None:
    form = as_form(STAGES)
    form["review_stages.0.remove"] = "on"
    form["review_stages.1.criteria.0.remove"] = "on"
    form |= {"review_stages.1.criteria.1.code": "vision", "review_stages.1.criteria.1.weight": "x"}
    body = rubric_body(rows_from_form(form))
    [pitch] = body.review_stages
    assert [c["code"] for c in pitch["criteria"]] == ["vision"]
    # The service says `review_stages.0.criteria.0.weight`: on the form, stage 1's second row.
    assert body.form_field("review_stages.0.criteria.0.weight") == (
        "review_stages.1.criteria.1.weight"
    )
    assert body.form_field("review_stages.0") == "review_stages.1"
    assert body.form_field("review_stages") == "review_stages"
    assert body.form_field("seats") == "seats"
    assert body.form_field("review_stages.7.code") == "review_stages.7.code"  # not sent: as is


def test_a_new_stage_is_sent_from_its_blank_rows() -> None:
    form = as_form(STAGES) | {
        "review_stages.2.code": "demo",
        "review_stages.2.name_ko": "시연",
        "review_stages.2.name_en": "Demo",
        "review_stages.2.weight": "10",
        "review_stages.2.criteria.0.code": "wow",
        "review_stages.2.criteria.0.name_ko": "감탄",
        "review_stages.2.criteria.0.name_en": "Wow",
        "review_stages.2.criteria.0.weight": "1",
    }
    body = rubric_body(rows_from_form(form))
    assert [s["code"] for s in body.review_stages] == ["docs", "pitch", "demo"]
    assert body.review_stages[2]["criteria"] == [
        {"code": "wow", "name_ko": "감탄", "name_en": "Wow", "weight": "1"}
    ]
    assert body.criterion_rows[2] == [0]


def test_appeal_settings_and_a_derived_bonus_item_survive_the_round_trip() -> None:
    stages = [
        {**STAGES[0], "appeal_window_days": 7, "appeal_disclosure": "score_and_criteria"},
        STAGES[1],
    ]
    derived = {
        "code": "seoul",
        "name_ko": "서울 소재",
        "name_en": "In Seoul",
        "points": 0.5,
        "answer_key": "location",
        "answer_value": "Seoul",
    }
    rows = rows_from_settings(stages, [derived])
    form = {
        f"{kind}.{i}.{name}": value
        for kind, group in (("review_stages", rows.stages), ("bonus_items", rows.bonus_items))
        for i, row in group.items()
        for name, value in row.values.items()
    }
    body = rubric_body(rows_from_form(form))
    docs, pitch = body.review_stages
    assert (docs["appeal_window_days"], docs["appeal_disclosure"]) == ("7", "score_and_criteria")
    assert "appeal_window_days" not in pitch  # blank: the catalog's default, no appeals
    assert pitch["appeal_disclosure"] == "none"
    assert body.bonus_items == [{**derived, "points": "0.5"}]
