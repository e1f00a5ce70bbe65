"""SQL of the staff directory and its subscriptions."""

from __future__ import annotations

from collections.abc import Sequence

from aihub_notifications.domain.staff import MailKind, StaffMember, Subscription
from aihub_shared.runtime.db import DbConnection


async def staff_directory(conn: DbConnection) -> list[StaffMember]:
    """Everyone in the directory with their subscriptions (a small table: read whole)."""
    rows = await conn.fetch(
        "SELECT s.email, s.name, s.locale, s.role, s.active,"
        " coalesce(array_agg(ARRAY[sub.kind, sub.program_code] ORDER BY sub.kind,"
        " sub.program_code) FILTER (WHERE sub.kind IS NOT NULL), '{}') AS subscriptions"
        " FROM staff s LEFT JOIN subscriptions sub ON sub.staff_email = s.email"
        " GROUP BY s.email ORDER BY s.email"
    )
    return [
        StaffMember(
            email=r["email"],
            name=r["name"],
            locale=r["locale"],
            role=r["role"],
            active=r["active"],
            subscriptions=tuple(
                Subscription(MailKind(kind), program) for kind, program in r["subscriptions"]
            ),
        )
        for r in rows
    ]


async def staff_member(conn: DbConnection, email: str) -> StaffMember | None:
    for member in await staff_directory(conn):
        if member.email == email.lower():
            return member
    return None


async def upsert_staff(
    conn: DbConnection, *, email: str, name: str, locale: str, role: str, active: bool
) -> bool:
    """True when the member is new."""
    created: bool = await conn.fetchval(
        "INSERT INTO staff (email, name, locale, role, active) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name, locale = EXCLUDED.locale,"
        " role = EXCLUDED.role, active = EXCLUDED.active, updated_at = now()"
        " RETURNING (xmax = 0)",
        email.lower(),
        name,
        locale,
        role,
        active,
    )
    return created


async def delete_staff(conn: DbConnection, email: str) -> bool:
    deleted = await conn.fetchval(
        "DELETE FROM staff WHERE email = $1 RETURNING true", email.lower()
    )
    return bool(deleted)


async def replace_subscriptions(
    conn: DbConnection,
    email: str,
    subscriptions: Sequence[Subscription],
    *,
    only_programs: frozenset[str] | None = None,
) -> None:
    """Set the member's subscriptions. With `only_programs` (a program manager editing their
    own), only the rows of those programs are replaced; the rest stay as they are."""
    if only_programs is None:
        await conn.execute("DELETE FROM subscriptions WHERE staff_email = $1", email.lower())
    else:
        await conn.execute(
            "DELETE FROM subscriptions WHERE staff_email = $1 AND program_code = ANY($2::text[])",
            email.lower(),
            sorted(only_programs),
        )
    await conn.executemany(
        "INSERT INTO subscriptions (staff_email, kind, program_code) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING",
        [(email.lower(), s.kind.value, s.program_code) for s in subscriptions],
    )
