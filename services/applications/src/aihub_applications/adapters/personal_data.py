"""SQL for an access request: every row of this schema about a person's applications."""

from __future__ import annotations

import uuid
from typing import Any

from aihub_shared.runtime.db import DbConnection


async def applications_named(
    conn: DbConnection, email: str | None, application_ids: list[str]
) -> list[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT id FROM applications WHERE id = ANY($1::uuid[])"
        " OR ($2::text IS NOT NULL"
        "     AND lower(submission -> 'contact' ->> 'email') = lower($2::text))"
        " ORDER BY created_at, id",
        application_ids,
        email,
    )
    return [row["id"] for row in rows]


_KINDS = {
    "applications": "SELECT * FROM applications WHERE id = ANY($1) ORDER BY created_at, id",
    "application_history": "SELECT * FROM application_history WHERE application_id = ANY($1)"
    " ORDER BY application_id, id",
    "review_assignments": "SELECT * FROM review_assignments WHERE application_id = ANY($1)"
    " ORDER BY application_id, stage_code, reviewer_id",
    # Appeals, challenges and bonus grants: what was asked or granted for the applicant, with
    # its stage, reason, status, outcome and dates. Who at the hub filed or decided them is in
    # the history rows above (`actor`), as for every other step.
    "appeals": "SELECT id, application_id, stage_code, decision_at, reason, disclosure_requested,"
    " filed_at, status, decision_reason, decided_at, reinstated_to_stage FROM appeals"
    " WHERE application_id = ANY($1) ORDER BY application_id, filed_at, id",
    "review_challenges": "SELECT id, application_id, stage_code, reviewer_id, reason, filed_at,"
    " status, decision_reason, decided_at FROM review_challenges"
    " WHERE application_id = ANY($1) ORDER BY application_id, filed_at, id",
    "bonus_grants": "SELECT application_id, item_code, reason, granted_at FROM bonus_grants"
    " WHERE application_id = ANY($1) ORDER BY application_id, item_code",
    "erasures": "SELECT requested_by, request_id, requested_at, completed_at FROM erasures"
    " WHERE application_ids && $1::text[] ORDER BY requested_at",
}


async def rows_about(conn: DbConnection, ids: list[uuid.UUID]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for kind, query in _KINDS.items():
        key: list[Any] = [str(i) for i in ids] if kind == "erasures" else ids
        found[kind] = [dict(row) for row in await conn.fetch(query, key)]
    return found
