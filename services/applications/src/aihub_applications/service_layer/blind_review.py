"""Blind review: a reviewer whose every assignment on an application is in a blind stage sees
it under an anonymous label (`domain.blind`); its managers always see everything. Applied at
one point to every answer that shows a reviewer an application (the list and one
application), and a blind reviewer may not search by name, e-mail or registration number
(a match would tell)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aihub_applications.adapters import catalog_replica, reviewer_assignments
from aihub_applications.domain import blind
from aihub_applications.domain.review import CohortReview
from aihub_shared.identity import StaffPrincipal
from aihub_shared.refusals import Forbidden
from aihub_shared.runtime.db import DbConnection


async def as_seen(
    conn: DbConnection, staff: StaffPrincipal, applications: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The applications as the caller may see them (masked where they review blind)."""
    unmanaged = [str(a["id"]) for a in applications if not staff.manages(a["program_code"])]
    if not unmanaged:
        return applications
    blind_ids = await blind_to(conn, staff, unmanaged)
    return [
        blind.masked(a, blind.hidden_values(a)) if str(a["id"]) in blind_ids else a
        for a in applications
    ]


async def refuse_identifying_search(conn: DbConnection, staff: StaffPrincipal) -> None:
    """403 when the caller reviews anything blind: a search by name, e-mail or registration
    number would identify it."""
    if staff.is_admin:
        return
    if await blind_to(conn, staff, None):
        raise Forbidden(
            "searching by startup name, e-mail or registration number is not available to a"
            " reviewer of a blind review stage"
        )


async def blind_to(
    conn: DbConnection, staff: StaffPrincipal, application_ids: list[str] | None
) -> set[str]:
    """The applications (of these; None: of all) the caller reviews blind."""
    reach = await reviewer_assignments.reviewer_reach(conn, staff.id, application_ids)
    reviews = await _cohort_reviews(conn, {r.cohort_code for r in reach})
    return {
        r.application_id
        for r in reach
        if not staff.manages(r.program_code)
        and r.cohort_code in reviews
        and blind.reviews_blind(reviews[r.cohort_code].stages, r.stage_codes)
    }


async def _cohort_reviews(conn: DbConnection, codes: Iterable[str]) -> Mapping[str, CohortReview]:
    found = {code: await catalog_replica.cohort_review(conn, code) for code in sorted(codes)}
    return {code: review for code, review in found.items() if review is not None}
