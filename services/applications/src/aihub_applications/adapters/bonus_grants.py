"""SQL for the bonus items (가점) granted to applications."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from aihub_shared.runtime.db import DbConnection


async def grant(
    conn: DbConnection, application_id: uuid.UUID, item_code: str, reason: str, granted_by: str
) -> bool:
    """True if granted now; False if the item was already granted (nothing changes)."""
    granted = await conn.fetchval(
        "INSERT INTO bonus_grants (application_id, item_code, reason, granted_by)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
        application_id,
        item_code,
        reason,
        granted_by,
    )
    return bool(granted)


async def revoke(conn: DbConnection, application_id: uuid.UUID, item_code: str) -> bool:
    """True if it was granted and is taken back now."""
    revoked = await conn.fetchval(
        "DELETE FROM bonus_grants WHERE application_id = $1 AND item_code = $2 RETURNING true",
        application_id,
        item_code,
    )
    return bool(revoked)


async def mark_derived(conn: DbConnection, application_id: uuid.UUID, item_code: str) -> bool:
    """True the first time the item is derived for the application; False ever after (so an
    item a manager took back is not derived again)."""
    marked = await conn.fetchval(
        "INSERT INTO bonus_derivations (application_id, item_code) VALUES ($1, $2)"
        " ON CONFLICT DO NOTHING RETURNING true",
        application_id,
        item_code,
    )
    return bool(marked)


async def answers_in_review(
    conn: DbConnection, cohort_code: str
) -> list[tuple[uuid.UUID, dict[str, str]]]:
    """The declared answers of the cohort's applications in review, in id order."""
    rows = await conn.fetch(
        "SELECT id, coalesce(submission -> 'answers', '{}'::jsonb) AS answers FROM applications"
        " WHERE cohort_code = $1 AND status = 'received' ORDER BY id",
        cohort_code,
    )
    return [(row["id"], dict(row["answers"])) for row in rows]


async def granted_codes(
    conn: DbConnection, application_ids: Sequence[uuid.UUID]
) -> dict[str, list[str]]:
    """The granted item codes, by application id (as text)."""
    rows = await conn.fetch(
        "SELECT application_id, item_code FROM bonus_grants"
        " WHERE application_id = ANY($1::uuid[]) ORDER BY item_code",
        list(application_ids),
    )
    granted: defaultdict[str, list[str]] = defaultdict(list)
    for row in rows:
        granted[str(row["application_id"])].append(row["item_code"])
    return dict(granted)


async def grants_of(conn: DbConnection, application_id: uuid.UUID) -> list[dict[str, Any]]:
    """The application's granted items with who granted them, when and why."""
    rows = await conn.fetch(
        "SELECT item_code, reason, granted_by, granted_at FROM bonus_grants"
        " WHERE application_id = $1 ORDER BY item_code",
        application_id,
    )
    return [dict(r) for r in rows]
