"""What a reviewer works from: their own assignments (pending and done, with due dates, the
cohort's program and stage names in both languages, their own weighted score, a conflict they
declared) and one application as its reviewer sees it in a stage (answers, the stage's rubric
with its weights, their saved scores, whether the stage is still open).

Only the caller's own assignments are ever read here: a reviewer cannot name another's. What a
reviewer who declared a conflict still sees of the application is `visibility.py`'s rule; what
one who reviews it blind sees, `blind_review.py`'s (the desk and the sheet are masked too). The
sheet says whether the stage asks for the reviewer pledge and when the caller accepted it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import asyncpg

from aihub_applications.adapters import catalog_replica, pledges, repository, reviewer_desk
from aihub_applications.adapters.reviewer_desk import ReviewerAssignment
from aihub_applications.domain import blind
from aihub_applications.domain import review as rules
from aihub_applications.domain.review import CohortReview
from aihub_applications.service_layer.blind_review import blind_to
from aihub_applications.service_layer.visibility import sheet_contents
from aihub_shared.contracts.programs import ReviewStage, RubricCriterion
from aihub_shared.identity import StaffPrincipal
from aihub_shared.refusals import Forbidden, NotFound
from aihub_shared.runtime.db import DbConnection


@dataclass(frozen=True)
class Named:
    ko: str
    en: str


@dataclass(frozen=True)
class MyReview:
    application_id: str
    startup_name: str
    program_code: str
    cohort_code: str
    program_name: Named
    stage_code: str
    stage_name: Named
    assigned_at: datetime
    due_at: datetime | None
    scored_at: datetime | None
    #: The reviewer's own weighted score (the stage's rule), once they scored.
    review_score: float | None
    conflict_reason: str | None
    #: Scores can still be given or corrected (the application is in this stage, in review).
    stage_open: bool
    #: Set when the caller reviews it blind: `startup_name` is this label then.
    anonymous_label: str | None = None

    @property
    def pending(self) -> bool:
        return self.stage_open and self.scored_at is None and self.conflict_reason is None


@dataclass(frozen=True)
class Answer:
    key: str
    label: Named
    text: str


@dataclass(frozen=True)
class ReviewSheet:
    review: MyReview
    criteria: tuple[RubricCriterion, ...]
    scores: dict[str, int] | None
    comment: str | None
    #: The startup's profile as submitted (empty once the reviewer declared a conflict).
    startup: dict[str, Any]
    answers: list[Answer]
    #: The stage refuses the caller's scores until they accept the reviewer pledge.
    pledge_required: bool
    pledge_accepted_at: datetime | None


async def my_reviews(
    pool: asyncpg.Pool, *, staff: StaffPrincipal, application_id: uuid.UUID | None = None
) -> list[MyReview]:
    """The caller's assignments, the soonest due first (optionally of one application)."""
    async with pool.acquire() as conn:
        found = await reviewer_desk.assignments_of(conn, staff.id, application_id)
        described = await _described(conn, found)
        hidden = await _hidden_from(conn, staff, described)
    return [
        _masked(r, hidden[r.application_id]) if r.application_id in hidden else r for r in described
    ]


async def review_sheet(
    pool: asyncpg.Pool, application_id: uuid.UUID, stage_code: str, *, staff: StaffPrincipal
) -> ReviewSheet:
    """One application in one stage as the calling reviewer sees it: 404 without the
    application or the stage, 403 unless the caller is (or was, before recusing) its reviewer."""
    async with pool.acquire() as conn:
        mine = [
            a
            for a in await reviewer_desk.assignments_of(conn, staff.id, application_id)
            if a.stage_code == stage_code
        ]
        if not mine:
            if await repository.application_detail(conn, application_id) is None:
                raise NotFound(f"no application {application_id}")
            raise Forbidden(
                f"{staff.id} is not a reviewer of this application in {stage_code}",
                code="not_your_review",
                params={"stage": stage_code},
            )
        (assignment,) = mine
        review = await _cohort_review(conn, assignment.application.cohort_code)
        index = review.stage_index(stage_code)
        if index is None:
            raise NotFound(f"cohort {review.cohort_code} has no review stage {stage_code}")
        (described,) = await _described(conn, mine)
        rules_of_cohort = await catalog_replica.cohort_rules(conn, review.cohort_code)
        submission = await reviewer_desk.submission_of(conn, application_id)
        hidden = await _hidden_from(conn, staff, [described])
        pledged_at = await pledges.accepted_at(conn, review.cohort_code, stage_code, staff.id)
    questions = rules_of_cohort.questions if rules_of_cohort is not None else ()
    startup, answers = sheet_contents(submission, declared_conflict=described.conflict_reason)
    labels = {q.key: Named(q.label_ko, q.label_en) for q in questions}
    sheet = ReviewSheet(
        review=described,
        criteria=tuple(review.stages[index].criteria),
        scores=assignment.scores,
        comment=assignment.comment,
        startup=startup,
        answers=[Answer(key, labels.get(key, Named(key, key)), text) for key, text in answers],
        pledge_required=review.stages[index].pledge_required,
        pledge_accepted_at=pledged_at,
    )
    return _masked_sheet(sheet, hidden[described.application_id]) if hidden else sheet


async def _hidden_from(
    conn: DbConnection, staff: StaffPrincipal, found: list[MyReview]
) -> dict[str, list[str]]:
    """The applications of `found` the caller reviews blind, with their identifying values."""
    blind_ids = await blind_to(conn, staff, sorted({r.application_id for r in found}))
    names = {r.application_id: r.startup_name for r in found}
    submissions = await reviewer_desk.submissions_of(conn, [uuid.UUID(i) for i in blind_ids])
    return {
        application_id: blind.hidden_values(
            {
                "startup_name": names[application_id],
                "submission_id": submission.get("submission_id"),
                "submission": submission,
            }
        )
        for application_id, submission in submissions.items()
    }


def _masked(found: MyReview, hidden: list[str]) -> MyReview:
    label = blind.anonymous_label(found.application_id)
    return replace(
        found,
        startup_name=label,
        anonymous_label=label,
        conflict_reason=blind.scrubbed(found.conflict_reason, hidden, label),
    )


def _masked_sheet(sheet: ReviewSheet, hidden: list[str]) -> ReviewSheet:
    review = _masked(sheet.review, hidden)
    label = review.startup_name
    return replace(
        sheet,
        review=review,
        comment=blind.scrubbed(sheet.comment, hidden, label),
        startup=blind.scrubbed(blind.masked_startup(sheet.startup, label), hidden, label)
        if sheet.startup
        else {},
        answers=[replace(a, text=blind.scrubbed(a.text, hidden, label)) for a in sheet.answers],
    )


async def _described(conn: DbConnection, found: list[ReviewerAssignment]) -> list[MyReview]:
    cohorts = sorted({a.application.cohort_code for a in found})
    names = await reviewer_desk.program_names(conn, cohorts)
    reviews = {code: await _cohort_review(conn, code) for code in cohorts}
    return [_my_review(a, reviews[a.application.cohort_code], names) for a in found]


async def _cohort_review(conn: DbConnection, cohort_code: str) -> CohortReview:
    review = await catalog_replica.cohort_review(conn, cohort_code)
    if review is None:  # stored applications always had their cohort in the replica
        raise NotFound(f"no cohort {cohort_code} in the catalog replica")
    return review


def _my_review(
    assignment: ReviewerAssignment, review: CohortReview, names: dict[str, tuple[str, str]]
) -> MyReview:
    application = assignment.application
    index = review.stage_index(assignment.stage_code)
    stage = review.stages[index] if index is not None else None
    program = names.get(application.cohort_code, (application.program_code,) * 2)
    return MyReview(
        application_id=str(application.id),
        startup_name=application.startup_name,
        program_code=application.program_code,
        cohort_code=application.cohort_code,
        program_name=Named(*program),
        stage_code=assignment.stage_code,
        # A stage the cohort no longer has keeps its code as its name.
        stage_name=Named(stage.name_ko, stage.name_en)
        if stage
        else Named(assignment.stage_code, assignment.stage_code),
        assigned_at=assignment.assigned_at,
        due_at=assignment.due_at,
        scored_at=assignment.scored_at,
        review_score=_own_score(stage, assignment.scores),
        conflict_reason=assignment.conflict_reason,
        stage_open=index is not None and application.lifecycle(review).is_reviewing(index),
    )


def _own_score(stage: ReviewStage | None, scores: dict[str, int] | None) -> float | None:
    if stage is None or scores is None or rules.score_problems(stage, scores):
        return None
    return rules.review_score(stage, scores)
