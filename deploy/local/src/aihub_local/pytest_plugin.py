"""pytest plugin (entry point `pytest11`): the real infrastructure for every test folder.

``local_stack`` brings up Kafka, Postgres and the SMTP capture with the launcher people use, in
``<repo>/.state/test`` on free ports, once per session. It stays running afterwards so the next
run starts in about a second; ``AIHUB_TEST_STACK_DOWN=1`` (set by ``./dev test`` in CI) stops it
when the session ends.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import asyncpg
import pytest

from aihub_local.paths import state_dir_for_tests
from aihub_local.stack import LocalStack, StackEndpoints


@pytest.fixture(scope="session")
def local_stack() -> Iterator[StackEndpoints]:
    """Endpoints of the running test infrastructure (started if needed, idempotently)."""
    stack = LocalStack(state_dir_for_tests(), fixed_ports=False)
    endpoints = stack.up()
    yield endpoints
    if os.environ.get("AIHUB_TEST_STACK_DOWN") == "1":
        stack.down()


async def scratch_database_url(endpoints: StackEndpoints, role: str) -> str:
    """A login role with a schema of its own, shaped like a service's: tests of the kit or of a
    service's adapters use it so that the running services never race them for rows."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{2,40}_test", role):
        raise ValueError(f"scratch roles are named like `kit_test`, not {role!r}")
    admin = await asyncpg.connect(endpoints.postgres_admin_dsn)
    try:
        await admin.execute(
            f"""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                    CREATE ROLE {role} LOGIN PASSWORD '{role}';
                END IF;
            END $$;
            CREATE SCHEMA IF NOT EXISTS {role} AUTHORIZATION {role};
            ALTER ROLE {role} SET search_path = {role};
            GRANT CONNECT ON DATABASE {endpoints.postgres_database} TO {role};
            """
        )
    finally:
        await admin.close()
    return (
        f"postgresql://{role}:{role}@{endpoints.postgres_host}:{endpoints.postgres_port}/"
        f"{endpoints.postgres_database}"
    )
