"""Driving the applications service's selection over HTTP, for end-to-end tests of what follows.

`review_and_select` runs the staged review the way staff do (reviewers, scores, stages closed,
selection), for tests that want the ranking to come out of the scores.

`select_for_cohort` is the committee's final decision: it accepts the given applications in
rank order (rank 1 first) in one all-or-nothing bulk decision. Programs gives the best `seats`
ranks a seat and waitlists the rest (the ranked reserve, 예비 순위) in rank order. The staged review
that normally produces the ranking (reviewers, scores, advancing) is exercised by the
applications service's own tests; a committee may also set the final ranks directly, as here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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


async def review_and_select(
    client: httpx.AsyncClient,
    cohort_code: str,
    stage_scores: Mapping[str, Sequence[int]],
    *,
    reviewer_token: Callable[[str], str],
    reviewers: Sequence[str] = ("reviewer1@hub.example", "reviewer2@hub.example"),
    reserve: int | None = None,
    reason: str = "Selection committee",
) -> list[dict[str, Any]]:
    """The whole staged review over HTTP, as staff run it: for each of the cohort's stages, assign
    `reviewers` (the stage's `min_reviewers` each), let every reviewer give every criterion the
    application's score for that stage (`stage_scores[application_id][stage_index]`), close the
    stage, and finally select. `client` holds a manager's token; `reviewer_token(email)` mints a
    reviewer's. Returns the selection's outcomes (application_id, passed, score, reason, rank)."""
    cohorts = (await client.get("/cohorts")).json()
    (cohort,) = [c for c in cohorts if c["cohort_code"] == cohort_code]
    stages = cohort["review_stages"]
    assert stages, "the replica has the cohort's review stages"
    # The reviewers have accounts before they are named: notifications then invites nobody, and no
    # invitation (which asks for a new password) races the test's own sign-in.
    for reviewer in reviewers:
        reviewer_token(reviewer)
    for index, stage in enumerate(stages):
        assigned = await client.post(
            f"/cohorts/{cohort_code}/stages/{stage['code']}/assignments",
            json={"reviewers": [{"id": r, "name": r.split("@")[0]} for r in reviewers]},
        )
        assert assigned.status_code == 200, assigned.text
        for pair in assigned.json()["assigned"]:
            value = stage_scores[pair["application_id"]][index]
            scored = await client.put(
                f"/applications/{pair['application_id']}/stages/{stage['code']}/scores",
                json={"scores": {c["code"]: value for c in stage["criteria"]}},
                headers={"Authorization": f"Bearer {reviewer_token(pair['reviewer_id'])}"},
            )
            assert scored.status_code == 200, scored.text
        if index < len(stages) - 1:
            closed = await client.post(
                f"/cohorts/{cohort_code}/stages/{stage['code']}/advance", json={"reason": reason}
            )
            assert closed.status_code == 200, closed.text
    selected = await client.post(
        f"/cohorts/{cohort_code}/selection", json={"reason": reason, "reserve": reserve}
    )
    assert selected.status_code == 200, selected.text
    outcomes: list[dict[str, Any]] = selected.json()
    return outcomes
