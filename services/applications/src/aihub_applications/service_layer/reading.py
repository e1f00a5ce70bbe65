"""What staff read: lists of applications, one application with its history and reviews, the
catalog replica. Who may read what is `access.py`; what they see of it `visibility.py`."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from aihub_applications.adapters import catalog_replica, history, repository, reviews
from aihub_applications.domain.status import Status
from aihub_applications.service_layer import blind_review
from aihub_applications.service_layer.access import require_reader
from aihub_applications.service_layer.visibility import history_seen, list_scope, reviews_seen
from aihub_shared.identity import StaffPrincipal
from aihub_shared.refusals import NotFound


@dataclass(frozen=True)
class ApplicationQuery:
    cohort_code: str | None = None
    program_code: str | None = None
    status: Status | None = None
    stage_code: str | None = None
    #: Part of the startup name or of the contact's e-mail (literally, case-insensitively), or
    #: the first digits of the business registration number (dashes and spaces ignored).
    search: str | None = None
    limit: int = 50
    offset: int = 0


def _brn_prefix(search: str) -> str | None:
    digits = re.sub(r"[-\s]", "", search)
    return digits if digits.isascii() and digits.isdigit() else None


async def list_applications(
    pool: asyncpg.Pool, query: ApplicationQuery, *, staff: StaffPrincipal
) -> tuple[list[dict[str, Any]], int]:
    """A page of the applications the caller may see, oldest first, and how many match."""
    scope = list_scope(staff)
    async with pool.acquire() as conn:
        if query.search is not None:
            await blind_review.refuse_identifying_search(conn, staff)
        unstaged = False
        if query.stage_code and query.cohort_code:
            # No stage stored yet means the first one (`Application.lifecycle`).
            review = await catalog_replica.cohort_review(conn, query.cohort_code)
            unstaged = review is not None and review.stage_index(query.stage_code) == 0
        where = repository.ListFilter(
            cohort_code=query.cohort_code,
            program_code=query.program_code,
            status=query.status.value if query.status else None,
            stage_code=query.stage_code,
            stage_includes_unstaged=unstaged,
            programs=scope.programs,
            reviewer_id=scope.reviewer_id,
            text=query.search,
            brn_prefix=_brn_prefix(query.search) if query.search else None,
        )
        items, total = await repository.list_applications(
            conn, where, limit=query.limit, offset=query.offset
        )
        return await blind_review.as_seen(conn, staff, items), total


async def application_for(
    pool: asyncpg.Pool, application_id: uuid.UUID, *, staff: StaffPrincipal
) -> dict[str, Any]:
    """The application with its history and reviews, as far as the caller may see them."""
    async with pool.acquire() as conn:
        detail = await repository.application_detail(conn, application_id)
        if detail is None:
            raise NotFound(f"no application {application_id}")
        assigned = await reviews.is_assigned(conn, application_id, staff.id)
        require_reader(staff, detail["program_code"], assigned=assigned)
        entries = await history.history_of(conn, application_id)
        all_reviews = await reviews.reviews_of(conn, application_id)
        program_code = detail["program_code"]
        seen = {
            **detail,
            "history": history_seen(staff, program_code, entries),
            "reviews": reviews_seen(staff, program_code, all_reviews),
        }
        return (await blind_review.as_seen(conn, staff, [seen]))[0]


async def list_cohorts(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """The replica of the programs catalog this service decides eligibility with."""
    async with pool.acquire() as conn:
        return await catalog_replica.list_cohorts(conn)
