"""The cohort settings form's stages, rubrics and bonus items: rows of text fields (named by
their dotted path, `review_stages.0.criteria.1.weight`) to and from the body of programs'
`PUT /cohorts/{code}`. Pure: no HTTP, no templates.

The form works without script: each stage shows its criteria and one blank row for a new one,
the page ends with one blank stage, and a row is removed by ticking its `remove` box. Blank and
removed rows are left out of the body, so the service's field paths (`review_stages.1.…`) are
mapped back to the form's rows (`review_stages.2.…`) to show its reasons at the right field.
Values go as typed: the service judges each, so there is one rule, the service's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

STAGE_TEXT = ("code", "name_ko", "name_en", "weight")
#: Optional numbers: blank means "not set" (the catalog's default: two reviewers, else None).
STAGE_OPTIONAL = (
    "min_reviewers",
    "pass_threshold",
    "advance_top_k",
    "cutoff_score",
    "trim_extremes_from",
    "min_external_share",
    "appeal_window_days",
)
STAGE_FLAGS = ("blind", "pledge_required")
CRITERION_TEXT = ("code", "name_ko", "name_en", "weight")
BONUS_TEXT = ("code", "name_ko", "name_en", "points")
#: Optional: the question whose declared answer earns the item without a manager.
BONUS_OPTIONAL = ("answer_key", "answer_value")
CALIBRATIONS = ("none", "z-score")
DISCLOSURES = ("none", "score", "score_and_criteria")

_STAGE_FIELD = re.compile(r"^review_stages\.(\d{1,2})\.([a-z_]+)$")
_CRITERION_FIELD = re.compile(r"^review_stages\.(\d{1,2})\.criteria\.(\d{1,2})\.([a-z_]+)$")
_BONUS_FIELD = re.compile(r"^bonus_items\.(\d{1,2})\.([a-z_]+)$")


@dataclass
class Row:
    """One stage, criterion or bonus item as the form shows it: text values by field name."""

    values: dict[str, str] = field(default_factory=dict)
    children: dict[int, Row] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def removed(self) -> bool:
        return bool(self.values.get("remove"))

    def blank(self, names: Iterable[str]) -> bool:
        return not any(self.get(name).strip() for name in names)


@dataclass
class RubricRows:
    """The form's rows in form order (their keys are the indexes in the field names)."""

    stages: dict[int, Row] = field(default_factory=dict)
    bonus_items: dict[int, Row] = field(default_factory=dict)


@dataclass(frozen=True)
class RubricBody:
    """What goes into the service's body, and which form row each sent element came from."""

    review_stages: list[dict[str, Any]]
    bonus_items: list[dict[str, Any]]
    stage_rows: list[int]
    criterion_rows: list[list[int]]
    bonus_rows: list[int]

    def form_field(self, path: str) -> str:
        """The form's field name for a path in the body the service refused (`review_stages.1
        .criteria.0.weight`); paths outside the rows are unchanged."""
        parts = path.split(".")
        try:
            if parts[0] == "review_stages" and len(parts) > 1:
                sent = int(parts[1])
                parts[1] = str(self.stage_rows[sent])
                if len(parts) > 3 and parts[2] == "criteria":
                    parts[3] = str(self.criterion_rows[sent][int(parts[3])])
            elif parts[0] == "bonus_items" and len(parts) > 1:
                parts[1] = str(self.bonus_rows[int(parts[1])])
        except (ValueError, IndexError):
            return path
        return ".".join(parts)


def rows_from_form(form: Mapping[str, str]) -> RubricRows:
    """The stage, criterion and bonus rows a posted form holds (other fields ignored)."""
    rows = RubricRows()
    for name, value in form.items():
        if match := _CRITERION_FIELD.match(name):
            stage = rows.stages.setdefault(int(match[1]), Row())
            stage.children.setdefault(int(match[2]), Row()).values[match[3]] = value
        elif match := _STAGE_FIELD.match(name):
            rows.stages.setdefault(int(match[1]), Row()).values[match[2]] = value
        elif match := _BONUS_FIELD.match(name):
            rows.bonus_items.setdefault(int(match[1]), Row()).values[match[2]] = value
    return rows


def rows_from_settings(
    stages: Iterable[Mapping[str, Any]], bonus_items: Iterable[Mapping[str, Any]]
) -> RubricRows:
    """The form's rows for a cohort's current settings, with the blank rows for new ones."""
    rows = RubricRows()
    for s, stage in enumerate(stages):
        row = Row(values=_texts(stage, (*STAGE_TEXT, *STAGE_OPTIONAL, *STAGE_FLAGS)))
        row.values["calibration"] = str(stage.get("calibration") or "none")
        row.values["appeal_disclosure"] = str(stage.get("appeal_disclosure") or "none")
        for c, criterion in enumerate(stage.get("criteria") or []):
            row.children[c] = Row(values=_texts(criterion, (*CRITERION_TEXT, "cutoff")))
        rows.stages[s] = row
    for b, item in enumerate(bonus_items):
        rows.bonus_items[b] = Row(values=_texts(item, (*BONUS_TEXT, *BONUS_OPTIONAL)))
    return with_blank_rows(rows)


def with_blank_rows(rows: RubricRows) -> RubricRows:
    """One blank criterion row under each stage, one blank stage and one blank bonus item."""
    for stage in rows.stages.values():
        if not stage.children or not stage.children[max(stage.children)].blank(CRITERION_TEXT):
            stage.children[_next(stage.children)] = Row()
    if not rows.stages or not rows.stages[max(rows.stages)].blank(STAGE_TEXT):
        blank = {"calibration": "none", "appeal_disclosure": "none"}
        rows.stages[_next(rows.stages)] = Row(values=blank, children={0: Row()})
    if not rows.bonus_items or not rows.bonus_items[max(rows.bonus_items)].blank(BONUS_TEXT):
        rows.bonus_items[_next(rows.bonus_items)] = Row()
    return rows


def rubric_body(rows: RubricRows) -> RubricBody:
    """The body's `review_stages` and `bonus_items`: removed and blank rows left out."""
    stages: list[dict[str, Any]] = []
    stage_rows: list[int] = []
    criterion_rows: list[list[int]] = []
    for index in sorted(rows.stages):
        row = rows.stages[index]
        if row.removed or (row.blank(STAGE_TEXT) and _all_blank(row.children, CRITERION_TEXT)):
            continue
        stage: dict[str, Any] = {name: row.get(name) for name in STAGE_TEXT}
        stage |= {name: row.get(name) for name in STAGE_OPTIONAL if row.get(name).strip()}
        stage |= {name: bool(row.get(name)) for name in STAGE_FLAGS}
        stage["calibration"] = row.get("calibration") or "none"
        stage["appeal_disclosure"] = row.get("appeal_disclosure") or "none"
        kept = [
            c
            for c in sorted(row.children)
            if not row.children[c].removed and not row.children[c].blank(CRITERION_TEXT)
        ]
        stage["criteria"] = [_criterion(row.children[c]) for c in kept]
        stages.append(stage)
        stage_rows.append(index)
        criterion_rows.append(kept)
    bonus_rows = [
        b
        for b in sorted(rows.bonus_items)
        if not rows.bonus_items[b].removed and not rows.bonus_items[b].blank(BONUS_TEXT)
    ]
    bonus = [_bonus_item(rows.bonus_items[b]) for b in bonus_rows]
    return RubricBody(stages, bonus, stage_rows, criterion_rows, bonus_rows)


def _criterion(row: Row) -> dict[str, Any]:
    criterion: dict[str, Any] = {name: row.get(name) for name in CRITERION_TEXT}
    if row.get("cutoff").strip():
        criterion["cutoff"] = row.get("cutoff")
    return criterion


def _bonus_item(row: Row) -> dict[str, Any]:
    item: dict[str, Any] = {name: row.get(name) for name in BONUS_TEXT}
    item |= {name: row.get(name) for name in BONUS_OPTIONAL if row.get(name).strip()}
    return item


def _texts(source: Mapping[str, Any], names: Iterable[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in names:
        value = source.get(name)
        if value is None or value is False:
            continue
        values[name] = "on" if value is True else _plain_number(value)
    return values


def _plain_number(value: Any) -> str:
    # 40.0 from JSON shows as 40: what the person typed, not the float's spelling.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _all_blank(rows: Mapping[int, Row], names: Iterable[str]) -> bool:
    return all(row.blank(names) for row in rows.values())


def _next(rows: Mapping[int, Row]) -> int:
    return max(rows, default=-1) + 1
