"""Scoring, advancing, ranking and reviewer assignment: the rules of staged review, no I/O.

Scores:
- A reviewer scores every criterion of the stage 0–100; their review score is the criteria's
  weighted mean.
- A stage score is the mean of the review scores of the reviewers who scored it, not counting
  those who declared a conflict; it exists once at least `min_reviewers` have scored.
- The final score is the stages' scores weighted by the stage weights (which sum to 100), plus
  the application's bonus points (가점, capped per cohort) if any.
- Calibration, the trimmed mean and cut-offs (a stage's selection rules) are in
  `stage_scoring`; with them off a stage score is `stage_score` here.

Final ranking, best first (the tie-break, in order):
1. higher final score;
2. higher score in the later stage, from the last stage backwards (by default the presentation
   review, weighted 70, settles a tie before the document review);
3. earlier submission (the application received first);
4. application id, so that the order is total and the same on every run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from aihub_shared.contracts.programs import BonusItem, ReviewStage

SCORE_DIGITS = 4  # rounding keeps float noise from breaking ties that are ties


@dataclass(frozen=True)
class ScoreProblem:
    criterion: str
    message: str
    code: str  # stable: a client says it in its reader's language


def score_problems(stage: ReviewStage, scores: Mapping[str, int]) -> list[ScoreProblem]:
    """What is wrong with one reviewer's scores for a stage; empty when they can be recorded."""
    expected = {c.code for c in stage.criteria}
    problems = [
        ScoreProblem(code, f"stage {stage.code} has no criterion {code}", "unknown_criterion")
        for code in sorted(set(scores) - expected)
    ]
    problems += [
        ScoreProblem(code, "a score for this criterion is required", "score_required")
        for code in sorted(expected - set(scores))
    ]
    problems += [
        ScoreProblem(code, "a score is a whole number from 0 to 100", "score_range")
        for code, value in sorted(scores.items())
        if code in expected and not 0 <= value <= 100
    ]
    return problems


def review_score(stage: ReviewStage, scores: Mapping[str, int]) -> float:
    total_weight = sum(c.weight for c in stage.criteria)
    weighted = sum(c.weight * scores[c.code] for c in stage.criteria)
    return round(weighted / total_weight, SCORE_DIGITS)


def stage_score(stage: ReviewStage, reviews: Sequence[Mapping[str, int]]) -> float | None:
    """None until `min_reviewers` reviewers have scored."""
    if len(reviews) < stage.min_reviewers:
        return None
    return round(sum(review_score(stage, r) for r in reviews) / len(reviews), SCORE_DIGITS)


def final_score(stages: Sequence[ReviewStage], stage_scores: Mapping[str, float]) -> float:
    return round(
        sum(stage.weight * stage_scores[stage.code] for stage in stages) / 100, SCORE_DIGITS
    )


@dataclass(frozen=True)
class Candidate:
    application_id: str
    received_at: datetime
    #: Scores of the stages passed so far and of the current one, by stage code.
    stage_scores: Mapping[str, float]
    #: Bonus points (가점, already capped), added to the final score after averaging.
    bonus: float = 0.0
    #: Why a cut-off (과락) fails the stage being decided, whatever the rank (`stage_scoring`).
    cutoff_failures: tuple[str, ...] = ()

    def final(self, stages: Sequence[ReviewStage]) -> float:
        return round(final_score(stages, self.stage_scores) + self.bonus, SCORE_DIGITS)


@dataclass(frozen=True)
class Outcome:
    application_id: str
    passed: bool
    score: float
    reason: str
    rank: int | None = None


def advancement(stage: ReviewStage, candidates: Sequence[Candidate]) -> list[Outcome]:
    """Who passes a stage: at or above `pass_threshold` (if set), then the best `advance_top_k`
    (if set) in the order of the stage score with the ranking's tie-break. Best first."""
    ordered = sorted(candidates, key=lambda c: _order_key([stage], c, c.stage_scores[stage.code]))
    outcomes: list[Outcome] = []
    passed = 0
    for candidate in ordered:
        score = candidate.stage_scores[stage.code]
        if candidate.cutoff_failures:
            reason = "; ".join(candidate.cutoff_failures)
            outcomes.append(Outcome(candidate.application_id, False, score, reason))
        elif stage.pass_threshold is not None and score < stage.pass_threshold:
            reason = (
                f"{stage.code}: score {score:.2f} is below the threshold {stage.pass_threshold}"
            )
            outcomes.append(Outcome(candidate.application_id, False, score, reason))
        elif stage.advance_top_k is not None and passed >= stage.advance_top_k:
            reason = f"{stage.code}: score {score:.2f} is outside the best {stage.advance_top_k}"
            outcomes.append(Outcome(candidate.application_id, False, score, reason))
        else:
            passed += 1
            reason = f"{stage.code}: score {score:.2f}, place {passed}"
            outcomes.append(Outcome(candidate.application_id, True, score, reason))
    return outcomes


def ranking(stages: Sequence[ReviewStage], candidates: Sequence[Candidate]) -> list[Candidate]:
    """The final ranking, best first, with the tie-break above."""
    return sorted(candidates, key=lambda c: _order_key(stages, c, c.final(stages)))


def selection(
    stages: Sequence[ReviewStage],
    candidates: Sequence[Candidate],
    *,
    seats: int,
    reserve: int | None,
    first_rank: int = 1,
) -> list[Outcome]:
    """Accept the best `seats`, then up to `reserve` more as the ranked reserve (예비 순위; all
    remaining when None); reject the rest and those below the last stage's threshold. Ranks
    count from `first_rank` (after those a committee already gave)."""
    last = stages[-1]
    outcomes: list[Outcome] = []
    places = seats + (len(candidates) if reserve is None else reserve)
    rank = 0
    for candidate in ranking(stages, candidates):
        score = candidate.final(stages)
        last_score = candidate.stage_scores[last.code]
        if candidate.cutoff_failures:
            reason = "; ".join(candidate.cutoff_failures)
            outcomes.append(Outcome(candidate.application_id, False, score, reason))
        elif last.pass_threshold is not None and last_score < last.pass_threshold:
            reason = f"{last.code}: score {last_score:.2f} is below the threshold"
            outcomes.append(Outcome(candidate.application_id, False, score, reason))
        elif rank >= places:
            reason = f"final score {score:.2f}: outside the {seats} seats and the reserve"
            outcomes.append(Outcome(candidate.application_id, False, score, reason))
        else:
            rank += 1
            place = "a seat" if rank <= seats else f"reserve place {rank - seats}"
            given = first_rank + rank - 1
            reason = f"final score {score:.2f}, rank {given}: {place}"
            outcomes.append(Outcome(candidate.application_id, True, score, reason, given))
    return outcomes


@dataclass(frozen=True)
class TieBreak:
    """Which rule of the tie-break put one candidate before the next with the same score."""

    #: `stage_score` (then `stage_code` says which), `earlier_submission` or `application_id`.
    rule: str
    stage_code: str | None = None


def tie_broken_by(
    stages: Sequence[ReviewStage], above: Candidate, below: Candidate
) -> TieBreak | None:
    """The first rule of the ranking's tie-break that tells two candidates with the same final
    score apart (the same keys, in the same order, as `ranking`); None if the scores differ."""
    if above.final(stages) != below.final(stages):
        return None
    for stage in reversed(stages):
        if above.stage_scores.get(stage.code, 0.0) != below.stage_scores.get(stage.code, 0.0):
            return TieBreak("stage_score", stage.code)
    if above.received_at != below.received_at:
        return TieBreak("earlier_submission")
    return TieBreak("application_id")


def _order_key(
    stages: Sequence[ReviewStage], candidate: Candidate, score: float
) -> tuple[float, tuple[float, ...], datetime, str]:
    later_first = tuple(-candidate.stage_scores.get(s.code, 0.0) for s in reversed(stages))
    return (-score, later_first, candidate.received_at, candidate.application_id)


@dataclass(frozen=True)
class ReviewAssignment:
    """One reviewer's assignment to one application in a stage."""

    application_id: str
    reviewer_id: str
    #: Set once the reviewer declared a conflict of interest: the assignment no longer counts.
    conflict_reason: str | None
    scores: Mapping[str, int] | None

    @property
    def counts(self) -> bool:
        return self.conflict_reason is None


def scored_reviews(
    assignments: Iterable[ReviewAssignment],
) -> defaultdict[str, list[Mapping[str, int]]]:
    """The scores that count, by application (what `stage_score` is computed from)."""
    scored: defaultdict[str, list[Mapping[str, int]]] = defaultdict(list)
    for a in assignments:
        if a.counts and a.scores is not None:
            scored[a.application_id].append(a.scores)
    return scored


@dataclass(frozen=True)
class Staffing:
    """Who reviews what in a stage so far: what `plan_assignments` plans from."""

    #: Every reviewer ever assigned, by application (those who recused too).
    already: Mapping[str, frozenset[str]]
    #: Assignments that still count, by application.
    active: Mapping[str, int]
    #: Each reviewer's assignments that still count.
    load: Mapping[str, int]


def staffing(assignments: Iterable[ReviewAssignment]) -> Staffing:
    already: defaultdict[str, set[str]] = defaultdict(set)
    active: defaultdict[str, int] = defaultdict(int)
    load: defaultdict[str, int] = defaultdict(int)
    for a in assignments:
        already[a.application_id].add(a.reviewer_id)
        if a.counts:
            active[a.application_id] += 1
            load[a.reviewer_id] += 1
    return Staffing({k: frozenset(v) for k, v in already.items()}, dict(active), dict(load))


def plan_assignments(
    applications: Sequence[str],
    pool: Sequence[str],
    *,
    already: Mapping[str, frozenset[str]],
    active: Mapping[str, int],
    load: Mapping[str, int],
    per_application: int,
) -> list[tuple[str, str]]:
    """Pairs (application, reviewer) that bring each application up to `per_application` active
    reviewers, each time taking the least-loaded pool member (then by id) who was never assigned
    to that application — a reviewer who declared a conflict is never assigned to it again.

    `already`: every reviewer ever assigned per application; `active`: those who still count;
    `load`: each reviewer's active assignments in the stage. An application may stay short when
    the pool has too few reviewers left for it.
    """
    current = {reviewer: load.get(reviewer, 0) for reviewer in pool}
    pairs: list[tuple[str, str]] = []
    for application in applications:
        needed = per_application - active.get(application, 0)
        excluded = already.get(application, frozenset())
        for _ in range(max(needed, 0)):
            free = [r for r in pool if r not in excluded]
            if not free:
                break
            reviewer = min(free, key=lambda r: (current[r], r))
            pairs.append((application, reviewer))
            current[reviewer] += 1
            excluded = excluded | {reviewer}
    return pairs


@dataclass(frozen=True)
class CohortReview:
    """What review of one cohort needs from the catalog replica."""

    cohort_code: str
    program_code: str
    seats: int
    stages: tuple[ReviewStage, ...]
    #: 가점 a manager may grant (`domain.bonus`), and the cap on their sum (None: no cap).
    bonus_items: tuple[BonusItem, ...] = ()
    bonus_cap: float | None = None

    def stage_index(self, stage_code: str) -> int | None:
        codes = [s.code for s in self.stages]
        return codes.index(stage_code) if stage_code in codes else None
