"""How the reviewer's assignments are arranged: per cohort and stage, pending before done; which
assignment an application's page shows. The services decide pending/open; this only arranges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aihub_console.adapters.applications_api import MyReview
from aihub_console.service_layer.reviews import grouped, shown_assignment

T0 = datetime(2026, 11, 30, tzinfo=UTC)


def review(app: str, cohort: str, stage: str, **state: Any) -> MyReview:
    values: dict[str, Any] = {
        "application_id": app,
        "startup_name": f"startup {app}",
        "program_code": "p",
        "cohort_code": cohort,
        "program_name": {"ko": "프로그램", "en": "Program"},
        "stage_code": stage,
        "stage_name": {"ko": stage, "en": stage},
        "assigned_at": T0,
        "due_at": None,
        "scored_at": None,
        "review_score": None,
        "conflict_reason": None,
        "stage_open": True,
        "pending": True,
    }
    return MyReview.model_validate(values | state)


def test_grouped_per_cohort_and_stage_with_pending_groups_first() -> None:
    reviews = [
        review("1", "c1", "doc", pending=False, scored_at=T0, review_score=70.0),
        review("2", "c2", "doc"),
        review("3", "c1", "doc"),
        review("4", "c1", "pres", pending=False, stage_open=False),
    ]
    groups = grouped(reviews)
    assert [(g.cohort_code, g.stage_code) for g in groups] == [
        ("c1", "doc"),
        ("c2", "doc"),
        ("c1", "pres"),
    ]
    assert [r.application_id for r in groups[0].pending] == ["3"]
    assert [r.application_id for r in groups[0].done] == ["1"]
    assert groups[2].pending == []


def test_the_page_shows_the_asked_stage_else_the_open_one_else_the_latest() -> None:
    doc = review("1", "c", "doc", stage_open=False, pending=False)
    pres = review("1", "c", "pres", assigned_at=T0 + timedelta(days=9))
    assert shown_assignment([doc, pres], "doc") == doc
    assert shown_assignment([doc, pres], "other") is None
    assert shown_assignment([doc, pres], None) == pres
    later = T0 + timedelta(days=9)
    recused = review("1", "c", "pres", conflict_reason="advisor", pending=False, assigned_at=later)
    assert shown_assignment([doc, recused], None) == recused  # the latest, none open
    assert shown_assignment([], None) is None
