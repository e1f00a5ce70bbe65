"""When a cohort's scoring may still change shape.

Reviewers' scores are stored by the applications service, keyed by stage and criterion code, and
weighted by the criteria's and stages' weights each time a result is computed. Programs does not
see those scores; what it knows is the cohort's application window. No startup can have applied,
so none can have been scored, before the window opens: until then every part of the stages and
rubrics may change. From the moment it opens, the shape the scores are read through is fixed —
the stages (their codes, order and weights) and each stage's criteria (codes and weights) — so a
score already given never loses its criterion nor changes its meaning. Everything else stays
editable: names, minimum reviewers, pass thresholds and top-K, cut-offs, trimming, calibration,
blind review, the pledge, the external share, bonus items and their cap.
"""

from __future__ import annotations

from datetime import datetime

from aihub_shared.contracts.programs import ReviewStage
from aihub_shared.refusals import Problem


def locked_structure_problems(
    before: list[ReviewStage],
    after: list[ReviewStage],
    *,
    window_opened_at: datetime,
    now: datetime,
) -> list[Problem]:
    """Where `after` changes the scoring shape of `before` although the application window
    opened at `window_opened_at` (the stored one) is open or past: empty when it may."""
    if now < window_opened_at:
        return []
    opened = f"fixed since the application window opened ({window_opened_at.isoformat()})"
    shape_before = [(s.code, s.weight) for s in before]
    shape_after = [(s.code, s.weight) for s in after]
    if shape_before != shape_after:
        was = ", ".join(f"{code} {weight}%" for code, weight in shape_before)
        return [
            Problem(
                ("review_stages",),
                f"the stages, their order and weights are {opened}: {was}",
                "stages_fixed",
                {"opened_at": window_opened_at.isoformat(), "stages": was},
            )
        ]
    problems: list[Problem] = []
    for index, (old, new) in enumerate(zip(before, after, strict=True)):
        if _criteria_shape(old) != _criteria_shape(new):
            was = ", ".join(f"{c.code} ({c.weight})" for c in old.criteria)
            problems.append(
                Problem(
                    ("review_stages", index, "criteria"),
                    f"the criteria of stage {old.code} and their weights are {opened}: {was}",
                    "criteria_fixed",
                    {"opened_at": window_opened_at.isoformat(), "stage": old.code, "criteria": was},
                )
            )
    return problems


def _criteria_shape(stage: ReviewStage) -> dict[str, int]:
    # Order does not matter to a score: only which criteria there are and what each weighs.
    return {c.code: c.weight for c in stage.criteria}
