"""The calls the manager pages make, as functions of the services' clients (`ApplicationsApi`,
`ProgramsApi`), each returning the console's model of the documented answer. Lists come a page
at a time with the service's total (`X-Total-Count`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import httpx
from pydantic import TypeAdapter
from starlette.background import BackgroundTask

from aihub_console.adapters.applications_api import ApplicationsApi
from aihub_console.adapters.manager_views import (
    ApplicationDetail,
    ApplicationLine,
    AssignmentResult,
    CohortDetail,
    Decided,
    Enrollment,
    Outcome,
    Page,
    Pipeline,
    RankingLine,
    ReplicatedCohort,
    ReviewerProgress,
)
from aihub_console.adapters.programs_api import ProgramsApi
from aihub_console.adapters.service_api import (
    ServiceApi,
    ServiceSignInRequired,
    ServiceUnavailable,
    refusal_of,
)

T = TypeVar("T")
PAGE_SIZE = 50


async def _page(
    api: ServiceApi, path: str, model: type[T], params: dict[str, Any], *, limit: int, offset: int
) -> Page[T]:
    return (await _page_and_headers(api, path, model, params, limit=limit, offset=offset))[0]


async def _page_and_headers(
    api: ServiceApi, path: str, model: type[T], params: dict[str, Any], *, limit: int, offset: int
) -> tuple[Page[T], httpx.Headers]:
    query = {k: v for k, v in params.items() if v not in (None, "")}
    response = await api._send(
        "GET", path, params={**query, "limit": limit, "offset": offset}, json=None
    )
    items = TypeAdapter(list[model]).validate_json(response.content)  # type: ignore[valid-type]
    total = int(response.headers.get("X-Total-Count", len(items)))
    return Page(items, total, limit, offset), response.headers


# -- applications ---------------------------------------------------------------------------


async def cohorts(api: ApplicationsApi) -> list[ReplicatedCohort]:
    return await api.call("GET", "/cohorts", list[ReplicatedCohort])


async def pipeline(api: ApplicationsApi, cohort_code: str) -> Pipeline:
    return await api.call("GET", f"/cohorts/{cohort_code}/pipeline", Pipeline)


async def applications(
    api: ApplicationsApi, cohort_code: str, filters: dict[str, str | None], offset: int
) -> Page[ApplicationLine]:
    return await _page(
        api,
        "/applications",
        ApplicationLine,
        {"cohort_code": cohort_code, **filters},
        limit=PAGE_SIZE,
        offset=offset,
    )


async def application(api: ApplicationsApi, application_id: str) -> ApplicationDetail:
    return await api.call("GET", f"/applications/{application_id}", ApplicationDetail)


async def stage_reviewers(
    api: ApplicationsApi, cohort_code: str, stage_code: str
) -> list[ReviewerProgress]:
    path = f"/cohorts/{cohort_code}/stages/{stage_code}/reviewers"
    return await api.call("GET", path, list[ReviewerProgress])


async def assign_reviewers(
    api: ApplicationsApi,
    cohort_code: str,
    stage_code: str,
    reviewers: list[dict[str, Any]],
    per_application: int | None,
    due_at: datetime | None,
) -> AssignmentResult:
    body: dict[str, Any] = {"reviewers": reviewers}
    if per_application is not None:
        body["per_application"] = per_application
    if due_at is not None:
        body["due_at"] = due_at.isoformat()
    path = f"/cohorts/{cohort_code}/stages/{stage_code}/assignments"
    return await api.call("POST", path, AssignmentResult, json=body)


async def advance_preview(
    api: ApplicationsApi, cohort_code: str, stage_code: str, offset: int
) -> tuple[Page[Outcome], int]:
    """A page of what closing the stage would decide, and how many of all would pass."""
    path = f"/cohorts/{cohort_code}/stages/{stage_code}/advance/preview"
    page, headers = await _page_and_headers(api, path, Outcome, {}, limit=PAGE_SIZE, offset=offset)
    return page, int(headers.get("X-Passing-Count", sum(1 for o in page.items if o.passed)))


async def advance(
    api: ApplicationsApi, cohort_code: str, stage_code: str, reason: str
) -> list[Outcome]:
    path = f"/cohorts/{cohort_code}/stages/{stage_code}/advance"
    return await api.call("POST", path, list[Outcome], json={"reason": reason})


async def ranking(api: ApplicationsApi, cohort_code: str, offset: int) -> Page[RankingLine]:
    path = f"/cohorts/{cohort_code}/ranking"
    return await _page(api, path, RankingLine, {}, limit=PAGE_SIZE, offset=offset)


async def open_ranking_csv(api: ApplicationsApi, cohort_code: str) -> httpx.Response:
    """The service's CSV export, opened for streaming (its refusal raised like any other);
    the caller passes the body on as it arrives and closes it (`closing`)."""
    request = api.http.build_request(
        "GET",
        f"/cohorts/{cohort_code}/ranking.csv",
        headers={
            "Authorization": f"Bearer {api.access_token}",
            "X-Correlation-Id": api.correlation_id,
        },
    )
    try:
        response = await api.http.send(request, stream=True)
    except httpx.HTTPError as exc:
        raise ServiceUnavailable(api.name, type(exc).__name__) from exc
    if response.status_code < 400:
        return response
    await response.aread()
    await response.aclose()
    if response.status_code == 401:
        raise ServiceSignInRequired(api.name)
    if response.status_code >= 500:
        raise ServiceUnavailable(api.name, f"HTTP {response.status_code}")
    raise refusal_of(api.name, response)


def closing(response: httpx.Response) -> BackgroundTask:
    return BackgroundTask(response.aclose)


#: The selection preview's lines the ranking page shows: the accepted (seats, then the reserve)
#: come first; a cohort of 10,000 need not travel whole for them.
SELECTION_PREVIEW_LINES = 200


async def selection_preview(
    api: ApplicationsApi, cohort_code: str, reserve: int | None
) -> Page[Outcome]:
    params = {} if reserve is None else {"reserve": reserve}
    path = f"/cohorts/{cohort_code}/selection/preview"
    return await _page(api, path, Outcome, params, limit=SELECTION_PREVIEW_LINES, offset=0)


async def select(
    api: ApplicationsApi, cohort_code: str, reason: str, reserve: int | None
) -> list[Outcome]:
    body = {"reason": reason, "reserve": reserve}
    return await api.call("POST", f"/cohorts/{cohort_code}/selection", list[Outcome], json=body)


async def decide_many(
    api: ApplicationsApi, reason: str, decisions: list[dict[str, Any]]
) -> list[Decided]:
    body = {"reason": reason, "decisions": decisions}
    return await api.call("POST", "/applications/decisions", list[Decided], json=body)


# -- programs -------------------------------------------------------------------------------


async def cohort(api: ProgramsApi, cohort_code: str) -> CohortDetail:
    return await api.call("GET", f"/cohorts/{cohort_code}", CohortDetail)


async def enrollments(
    api: ProgramsApi, cohort_code: str, status: str | None, offset: int
) -> Page[Enrollment]:
    path = f"/cohorts/{cohort_code}/enrollments"
    params = {"status": status}
    return await _page(api, path, Enrollment, params, limit=PAGE_SIZE, offset=offset)


async def cancel_enrollment(api: ProgramsApi, application_id: str, reason: str) -> None:
    path = f"/enrollments/{application_id}/cancellation"
    await api.call_no_content("POST", path, json={"reason": reason})


async def sign_agreement(api: ProgramsApi, application_id: str) -> None:
    await api.call_no_content("POST", f"/enrollments/{application_id}/agreement")


async def update_cohort(api: ProgramsApi, cohort_code: str, settings: dict[str, Any]) -> None:
    await api.call_no_content("PUT", f"/cohorts/{cohort_code}", json=settings)
