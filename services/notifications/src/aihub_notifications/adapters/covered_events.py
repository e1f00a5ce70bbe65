"""SQL of the events a grouped staff mail tells of (`deliveries.covered_event_ids`, migration
0009; see `domain/staff_notices.py`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from aihub_shared.runtime.db import DbConnection


async def record_covered_events(
    conn: DbConnection, covered: Mapping[uuid.UUID, Sequence[str]]
) -> None:
    """Set each delivery's covered events, in their order; one statement for them all."""
    if not covered:
        return
    await conn.execute(
        "UPDATE deliveries AS d SET covered_event_ids ="
        " ARRAY(SELECT jsonb_array_elements_text(c.ids)) FROM jsonb_each($1::jsonb) AS c(id, ids)"
        " WHERE d.id = c.id::uuid",
        # The pool's jsonb codec encodes (`runtime/db.py`).
        {str(delivery): list(events) for delivery, events in covered.items()},
    )
