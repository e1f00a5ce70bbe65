"""가점 derived from declared answers: a cohort's bonus item may name an answer and the value
that earns it (`answer_key`, `answer_value` in `cohort.published`; without them an item is a
manager's to grant, as before). Such an item is granted without a manager: recorded in the
history and published as `bonus_points.granted` with `changed_by` saying it was derived, and
it counts within the cap like any other.

When: at intake, right after the application is stored (after its `application.received`),
and when the catalog arrives or changes (a cohort that gains such an item grants it to the
applications already in review). Once per (application, item): `bonus_derivations` remembers
each derived grant, so an item a manager took back (with a reason, as any grant) is never
derived again. Only while the application is in review, as for a manager's grant.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from aihub_applications.adapters import bonus_grants, catalog_replica, history
from aihub_applications.domain import bonus
from aihub_applications.domain.review import CohortReview
from aihub_applications.domain.status import Status
from aihub_applications.service_layer.events import publish
from aihub_applications.service_layer.loaders import load
from aihub_shared.contracts.applications import BonusPointsChanged
from aihub_shared.runtime.db import DbConnection

#: Who granted a derived item: the cohort's rule, not a person (history actor, `changed_by`).
DERIVED = "derived from the declared answers"


async def derive_bonus_points(
    conn: DbConnection,
    application_id: uuid.UUID,
    answers: Mapping[str, str],
    review: CohortReview,
    *,
    correlation_id: str | None = None,
) -> list[str]:
    """Grant the derived items these answers earn and that were never derived for the
    application; the codes granted now."""
    earned = bonus.earned_by_answers(review.bonus_items, answers)
    if not earned:
        return []
    application = await load(conn, application_id)
    if application.status is not Status.RECEIVED:
        return []
    granted = []
    for item in earned:
        if not await bonus_grants.mark_derived(conn, application.id, item.code):
            continue  # derived before (and perhaps taken back by a manager since)
        reason = f"{item.answer_key} = {item.answer_value}"
        if not await bonus_grants.grant(conn, application.id, item.code, reason, DERIVED):
            continue  # a manager granted it already
        granted.append(item.code)
        total = bonus.capped_total(
            review.bonus_items,
            (await bonus_grants.granted_codes(conn, [application.id])).get(str(application.id), []),
            review.bonus_cap,
        )
        stage = review.stages[application.lifecycle(review).stage_index]
        await history.add_note(
            conn,
            application,
            DERIVED,
            f"{reason}: bonus {item.code} (+{item.points:g}) granted, total {total:g}",
            action="bonus_granted",
            stage_code=stage.code,
        )
        await publish(
            conn,
            "bonus_points.granted",
            subject=application.cohort_code,
            data=BonusPointsChanged(
                **application.ref,
                item_code=item.code,
                points=item.points,
                total=total,
                reason=reason,
                changed_by=DERIVED,
            ),
            correlation_id=correlation_id,
        )
    return granted


async def derive_for_cohort(conn: DbConnection, cohort_code: str) -> int:
    """After the catalog stored the cohort: grant its derived items to the applications in
    review whose answers earn them (in id order: the same lock order everywhere). How many."""
    review = await catalog_replica.cohort_review(conn, cohort_code)
    if review is None or not any(i.answer_key for i in review.bonus_items):
        return 0
    granted = 0
    for application_id, answers in await bonus_grants.answers_in_review(conn, cohort_code):
        granted += len(await derive_bonus_points(conn, application_id, answers, review))
    return granted
