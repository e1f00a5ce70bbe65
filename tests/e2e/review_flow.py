"""Driving the applications service's selection over HTTP, for end-to-end tests of what follows.

`select_for_cohort` is the committee's final decision: it accepts the given applications in
rank order (rank 1 first) in one all-or-nothing bulk decision. Programs gives the best `seats`
ranks a seat and waitlists the rest (the ranked reserve, 예비 순위) in rank order. The staged review
that normally produces the ranking (reviewers, scores, advancing) is exercised by the
applications service's own tests; a committee may also set the final ranks directly, as here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx


async def select_for_cohort(
    client: httpx.AsyncClient,
    application_ids_in_rank_order: Sequence[str],
    *,
    reject: Sequence[str] = (),
    reason: str = "Final ranking of the selection committee",
    first_rank: int = 1,
    correlation_id: str | None = None,
) -> list[dict[str, Any]]:
    """Accept `application_ids_in_rank_order` with ranks `first_rank`, `first_rank + 1`, ... and
    reject `reject`, all with `reason`. `client` is an applications client with an admin's or
    the program manager's token. Returns one `{application_id, status}` per decision; raises
    AssertionError with the service's answer when it refuses."""
    decisions: list[dict[str, Any]] = [
        {"application_id": app_id, "outcome": "accepted", "rank": rank}
        for rank, app_id in enumerate(application_ids_in_rank_order, start=first_rank)
    ]
    decisions += [{"application_id": app_id, "outcome": "rejected"} for app_id in reject]
    headers = {"X-Correlation-Id": correlation_id} if correlation_id else {}
    response = await client.post(
        "/applications/decisions",
        json={"reason": reason, "decisions": decisions},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result
