"""A stage's scores under the cohort's selection rules: calibration, trimmed mean, cut-offs and
spread (pure, no I/O). With every rule off a stage score is the plain mean of the counting
reviewers' review scores, exactly as `review.stage_score` computes it.

Order of the rules for one application in one stage:
1. each counting review's score is the criteria's weighted mean (`review.review_score`);
2. calibration (`z-score`): each reviewer's review scores in the stage are standardised,
   ((x − μ) / σ) × 10 + 50, μ and σ (population) over that reviewer's counting reviews in the
   stage. A reviewer with one review, or all reviews alike, has σ = 0: their scores map to 50
   (their own mean). Limit: with few reviews per reviewer μ and σ are noisy — a reviewer who
   happened to read only strong applications is pulled down; managers see raw and calibrated
   side by side;
3. trimmed mean (최고·최저점 제외): with at least `trim_extremes_from` scored reviews, the one
   highest and the one lowest of the scores being averaged are dropped (one each when tied: the
   reviewer with the smaller id for the lowest, the larger for the highest, so it is stable);
4. the stage score is the mean of what is kept; the raw score the mean of the same reviews'
   raw scores;
5. cut-offs (과락): the stage score below `cutoff_score`, or a criterion's average over the kept
   reviews (raw) below its `cutoff`, fails the stage whatever the rank.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from aihub_applications.domain.review import SCORE_DIGITS, ReviewAssignment, review_score
from aihub_shared.contracts.programs import ReviewStage

CALIBRATED_MEAN, CALIBRATED_SCALE = 50.0, 10.0


@dataclass(frozen=True)
class ScoredReview:
    """One counting reviewer's review of one application, as scored and as calibrated."""

    reviewer_id: str
    scores: Mapping[str, int]
    raw: float
    calibrated: float | None


@dataclass(frozen=True)
class StageResult:
    """One application's stage under the stage's rules (what ranking, advance and selection
    decide on, and what managers see)."""

    #: What ranks: calibrated and/or trimmed as the stage says; None below `min_reviewers`.
    score: float | None
    #: The kept reviews' raw scores averaged (equals `score` without calibration).
    raw_score: float | None
    #: The kept reviews' calibrated scores averaged; None without calibration.
    calibrated_score: float | None
    #: Reviewers whose score the trimmed mean dropped (lowest first).
    dropped: tuple[str, ...] = ()
    #: Highest minus lowest raw review score: the reviewers' disagreement.
    spread: float | None = None
    #: Each criterion's average over the kept reviews (raw).
    criterion_averages: Mapping[str, float] = field(default_factory=dict)
    #: Why the application fails the stage's cut-offs whatever its rank; empty when it does not.
    cutoff_failures: tuple[str, ...] = ()
    reviews: int = 0


def stage_results(
    stage: ReviewStage,
    assignments: Iterable[ReviewAssignment],
    suspended: frozenset[tuple[str, str]] = frozenset(),
) -> dict[str, StageResult]:
    """Every scored application of the stage, by application id. `suspended`: (application,
    reviewer) pairs whose scores do not count for now (an open challenge, 기피 신청)."""
    counting = [a for a in assignments if (a.application_id, a.reviewer_id) not in suspended]
    by_application = _scored_by_application(stage, counting)
    return {app: result_of(stage, reviews) for app, reviews in by_application.items()}


def result_of(stage: ReviewStage, reviews: Sequence[ScoredReview]) -> StageResult:
    if not reviews:
        return StageResult(None, None, None)
    kept, dropped = _trimmed(stage, reviews)
    raw = _mean([r.raw for r in kept])
    calibrated = (
        _mean([r.calibrated for r in kept if r.calibrated is not None])
        if stage.calibration == "z-score"
        else None
    )
    averages = {c.code: _mean([float(r.scores[c.code]) for r in kept]) for c in stage.criteria}
    enough = len(reviews) >= stage.min_reviewers
    score = (calibrated if calibrated is not None else raw) if enough else None
    raws = [r.raw for r in reviews]
    return StageResult(
        score=score,
        raw_score=raw if enough else None,
        calibrated_score=calibrated if enough else None,
        dropped=tuple(r.reviewer_id for r in dropped),
        spread=round(max(raws) - min(raws), SCORE_DIGITS),
        criterion_averages=averages,
        cutoff_failures=cutoff_failures(stage, score, averages) if enough else (),
        reviews=len(reviews),
    )


def cutoff_failures(
    stage: ReviewStage, score: float | None, criterion_averages: Mapping[str, float]
) -> tuple[str, ...]:
    failures: list[str] = []
    if stage.cutoff_score is not None and score is not None and score < stage.cutoff_score:
        failures.append(
            f"{stage.code}: score {score:.2f} is below the cut-off {stage.cutoff_score:g}"
        )
    for criterion in stage.criteria:
        average = criterion_averages.get(criterion.code)
        if criterion.cutoff is not None and average is not None and average < criterion.cutoff:
            failures.append(
                f"{stage.code}: {criterion.code} average {average:.2f} is below the cut-off"
                f" {criterion.cutoff:g}"
            )
    return tuple(failures)


def _scored_by_application(
    stage: ReviewStage, assignments: Iterable[ReviewAssignment]
) -> dict[str, list[ScoredReview]]:
    counting = [a for a in assignments if a.counts and a.scores is not None]
    raw = {(a.application_id, a.reviewer_id): review_score(stage, a.scores or {}) for a in counting}
    calibrate = calibrated_scores(raw) if stage.calibration == "z-score" else {}
    by_application: defaultdict[str, list[ScoredReview]] = defaultdict(list)
    for a in counting:
        key = (a.application_id, a.reviewer_id)
        by_application[a.application_id].append(
            ScoredReview(a.reviewer_id, a.scores or {}, raw[key], calibrate.get(key))
        )
    return dict(by_application)


def calibrated_scores(raw: Mapping[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    """z-scores per reviewer mapped back to 0–100-ish, keyed like `raw` by (application,
    reviewer). σ = 0 (one review, or all alike) maps every score of that reviewer to 50."""
    per_reviewer: defaultdict[str, list[float]] = defaultdict(list)
    for (_, reviewer), score in raw.items():
        per_reviewer[reviewer].append(score)
    moments = {
        reviewer: (statistics.fmean(scores), statistics.pstdev(scores))
        for reviewer, scores in per_reviewer.items()
    }
    calibrated: dict[tuple[str, str], float] = {}
    for (application, reviewer), score in raw.items():
        mean, sd = moments[reviewer]
        z = (score - mean) / sd if sd > 0 else 0.0
        calibrated[(application, reviewer)] = round(
            z * CALIBRATED_SCALE + CALIBRATED_MEAN, SCORE_DIGITS
        )
    return calibrated


def _trimmed(
    stage: ReviewStage, reviews: Sequence[ScoredReview]
) -> tuple[list[ScoredReview], list[ScoredReview]]:
    """(kept, dropped): one lowest and one highest dropped once the stage has enough reviews."""
    if stage.trim_extremes_from is None or len(reviews) < stage.trim_extremes_from:
        return list(reviews), []
    calibrated = stage.calibration == "z-score"

    def value(r: ScoredReview) -> float:
        return r.calibrated if calibrated and r.calibrated is not None else r.raw

    ordered = sorted(reviews, key=lambda r: (value(r), r.reviewer_id))
    return ordered[1:-1], [ordered[0], ordered[-1]]


def _mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), SCORE_DIGITS)
