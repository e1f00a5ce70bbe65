"""Postgres roles and schemas: each service's role can use its own schema and nothing else."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from aihub_local.stack import DB_ROLES, StackEndpoints

pytestmark = pytest.mark.integration

INIT_SQL = Path(__file__).resolve().parents[2] / "deploy/postgres/init/01-roles-and-schemas.sql"


@pytest.fixture
async def applications(local_stack: StackEndpoints) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(local_stack.service_database_url("applications"))
    yield conn
    await conn.close()


@pytest.fixture
async def programs_table(local_stack: StackEndpoints) -> str:
    """``programs.some_table``, created by the programs role itself."""
    conn = await asyncpg.connect(local_stack.service_database_url("programs"))
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS some_table (id int PRIMARY KEY, name text)")
        await conn.execute("INSERT INTO some_table VALUES (1, 'AI 바우처') ON CONFLICT DO NOTHING")
        schema = await conn.fetchval(
            "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = 'some_table'"
        )
        assert schema == "programs"
        assert await conn.fetchval("SELECT name FROM programs.some_table WHERE id = 1")
    finally:
        await conn.close()
    return "programs.some_table"


async def test_service_role_creates_tables_in_its_own_schema(
    applications: asyncpg.Connection,
) -> None:
    assert await applications.fetchval("SELECT current_user") == "applications"
    assert await applications.fetchval("SELECT current_schema()") == "applications"
    table = f"infra_probe_{uuid.uuid4().hex[:8]}"
    await applications.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, note text)")
    try:
        await applications.execute(f"INSERT INTO {table} VALUES (1, '서류평가')")  # noqa: S608
        note = await applications.fetchval(f"SELECT note FROM applications.{table}")  # noqa: S608
        assert note == "서류평가"
        owner = await applications.fetchval(
            "SELECT tableowner FROM pg_tables WHERE schemaname = 'applications' AND tablename = $1",
            table,
        )
        assert owner == "applications"
    finally:
        await applications.execute(f"DROP TABLE {table}")


async def test_service_role_cannot_read_another_services_schema(
    applications: asyncpg.Connection, programs_table: str
) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
        await applications.fetch(f"SELECT * FROM {programs_table}")  # noqa: S608
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
        await applications.execute("CREATE TABLE programs.sneaky (id int)")


async def test_service_role_cannot_use_public_schema_or_temp_tables(
    applications: asyncpg.Connection,
) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
        await applications.execute("CREATE TABLE public.intruder (id int)")
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
        await applications.execute("CREATE TEMP TABLE scratch (id int)")


async def test_privilege_matrix_after_reprovisioning(local_stack: StackEndpoints) -> None:
    admin = await asyncpg.connect(local_stack.postgres_admin_dsn)
    try:
        # Provisioning is idempotent: running the init script again changes nothing.
        await admin.execute(INIT_SQL.read_text())
        await admin.execute(INIT_SQL.read_text())
        # The three services' roles and the staff console's (sessions only).
        for role in DB_ROLES:
            for schema in DB_ROLES:
                for privilege in ("USAGE", "CREATE"):
                    allowed = await admin.fetchval(
                        "SELECT has_schema_privilege($1, $2, $3)", role, schema, privilege
                    )
                    assert allowed == (role == schema), (role, schema, privilege)
            assert not await admin.fetchval(
                "SELECT has_schema_privilege($1, 'public', 'CREATE')", role
            )
            assert not await admin.fetchval(
                "SELECT has_database_privilege($1, current_database(), 'TEMP')", role
            )
            assert await admin.fetchval(
                "SELECT has_database_privilege($1, current_database(), 'CONNECT')", role
            )
            search_path = await admin.fetchval(
                "SELECT array_to_string(setconfig, ',') FROM pg_db_role_setting s "
                "JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = $1",
                role,
            )
            assert search_path == f"search_path={role}"
            owner = await admin.fetchval(
                "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = $1", role
            )
            assert owner == role
            attrs = await admin.fetchrow(
                "SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles "
                "WHERE rolname = $1",
                role,
            )
            assert attrs is not None
            assert tuple(attrs) == (False, False, False, True)
    finally:
        await admin.close()


async def test_other_roles_cannot_connect(local_stack: StackEndpoints) -> None:
    outsider = f"outsider_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(local_stack.postgres_admin_dsn)
    try:
        await admin.execute(f"CREATE ROLE {outsider} LOGIN PASSWORD 'outsider'")
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            await asyncpg.connect(
                host=local_stack.postgres_host,
                port=local_stack.postgres_port,
                user=outsider,
                password="outsider",  # noqa: S106 - throwaway role
                database=local_stack.postgres_database,
            )
    finally:
        await admin.execute(f"DROP ROLE IF EXISTS {outsider}")
        await admin.close()
