"""The staff directory over HTTP: who is in it, with which role, language and subscriptions.

Each use case takes the pool and runs in one transaction of its own. Who may do what is in
`domain/access.py`; addresses arrive already checked and lower-cased.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from aihub_notifications.adapters import directory
from aihub_notifications.domain.access import check_may_read_subscriptions, programs_to_replace
from aihub_notifications.domain.staff import StaffMember, Subscription
from aihub_shared.contracts.values import Locale
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.refusals import NotFound
from aihub_shared.runtime.db import DbConnection

NO_SUCH_MEMBER = "no such staff member"


async def _member(conn: DbConnection, address: str) -> StaffMember:
    member = await directory.staff_member(conn, address)
    if member is None:
        raise NotFound(NO_SUCH_MEMBER)
    return member


async def list_staff(pool: asyncpg.Pool) -> list[StaffMember]:
    async with pool.acquire() as conn:
        return await directory.staff_directory(conn)


async def put_staff(
    pool: asyncpg.Pool, address: str, *, name: str, locale: Locale, role: Role, active: bool
) -> tuple[StaffMember, bool]:
    """Add or change a member; returns them and whether they are new."""
    async with pool.acquire() as conn, conn.transaction():
        created = await directory.upsert_staff(
            conn, email=address, name=name, locale=locale, role=role.value, active=active
        )
        return await _member(conn, address), created


async def remove_staff(pool: asyncpg.Pool, address: str) -> None:
    async with pool.acquire() as conn:
        if not await directory.delete_staff(conn, address):
            raise NotFound(NO_SUCH_MEMBER)


async def subscriptions_of(
    pool: asyncpg.Pool, staff: StaffPrincipal, address: str
) -> tuple[Subscription, ...]:
    check_may_read_subscriptions(staff, address)
    async with pool.acquire() as conn:
        return (await _member(conn, address)).subscriptions


async def replace_subscriptions(
    pool: asyncpg.Pool, staff: StaffPrincipal, address: str, wanted: Sequence[Subscription]
) -> tuple[Subscription, ...]:
    """Admin and ops replace anyone's subscriptions. A program manager replaces their own, for
    the programs their token names (their other rows stay); the first edit adds them to the
    directory."""
    only = programs_to_replace(staff, address, wanted)
    async with pool.acquire() as conn, conn.transaction():
        if await directory.staff_member(conn, address) is None:
            if only is None:
                raise NotFound(NO_SUCH_MEMBER)
            await directory.upsert_staff(
                conn,
                email=address,
                name=staff.name,
                locale="ko",
                role=Role.PROGRAM_MANAGER.value,
                active=True,
            )
        await directory.replace_subscriptions(conn, address, wanted, only_programs=only)
        return (await _member(conn, address)).subscriptions
