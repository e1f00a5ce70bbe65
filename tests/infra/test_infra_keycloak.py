"""Keycloak and the staff console after Postgres dies and the launcher starts it again.

Keycloak's pool validates each connection as it is taken (``deploy/keycloak/quarkus.properties``),
so the first sign-in after the restart works and the launcher's ``up()`` keeps the running
Keycloak: before, each dead pooled connection failed a request with a 500, and ``up()`` restarted
Keycloak because its after-start admin call failed. The console's session store (its own pool)
must serve again too. The services' own recovery from a Postgres outage is in
``tests/e2e/test_outages.py``.
"""

from __future__ import annotations

import asyncio
import os
import signal
from http.cookies import SimpleCookie

import httpx
import pytest

from aihub_local.keycloak_admin import KeycloakAdmin, LocalUser
from aihub_local.procutil import pid_alive
from aihub_local.stack import LocalStack, StackEndpoints
from aihub_local.staff_accounts import admin_client, password_of
from aihub_local.testing import eventually

pytestmark = pytest.mark.integration

EMAIL = "pg-restart@hub.example"


def _pids(stack: LocalStack) -> dict[str, int | None]:
    return {s.name: s.pid for s in stack.status()}


def _session_id(answer: httpx.Response) -> str:
    cookie = SimpleCookie(answer.headers["set-cookie"])
    (morsel,) = cookie.values()
    return morsel.value


async def _kill_postgres_and_up_again(stack: LocalStack) -> None:
    """kill -9 of the postmaster (no shutdown at all), then the launcher's ``up()``."""
    pid = _pids(stack)["postgres"]
    assert pid is not None
    os.kill(pid, signal.SIGKILL)

    async def gone() -> bool:
        return not pid_alive(pid)

    await eventually(gone, within=30, what="the killed postmaster to be gone", interval=0.05)
    await asyncio.to_thread(stack.up)


async def test_sign_in_and_console_sessions_work_after_postgres_is_killed_and_restarted(
    local_stack: StackEndpoints, console: str
) -> None:
    stack = LocalStack(local_stack.state_dir, fixed_ports=False)
    admin: KeycloakAdmin = admin_client(local_stack)
    user = LocalUser(EMAIL, password_of(local_stack, EMAIL), "PG Restart", ())
    try:
        admin.token_for(user)  # the account exists, and Keycloak's pool holds connections
        before = _pids(stack)
        await _kill_postgres_and_up_again(stack)
        after = _pids(stack)
        assert after["postgres"] != before["postgres"]
        # Keycloak was kept: its after-start admin calls worked on the restarted database.
        assert after["keycloak"] == before["keycloak"]
        assert stack.endpoints() == local_stack

        grants: list[int] = []

        async def signed_in() -> bool:
            answer = await asyncio.to_thread(admin.password_grant, user.email, user.password)
            grants.append(answer.status_code)
            return answer.status_code == 200 and bool(answer.json()["access_token"])

        await eventually(signed_in, within=30, what="a password grant after the restart")
        # No sign-in failed on a dead pooled connection on the way.
        assert grants == [200]
        assert _pids(stack)["keycloak"] == before["keycloak"]
    finally:
        admin.close()

    async with httpx.AsyncClient(base_url=console, timeout=10) as client:

        async def session_stored() -> httpx.Response | None:
            answer = await client.get("/auth/login", follow_redirects=False)
            return answer if answer.is_redirect else None

        first = await eventually(session_stored, within=60, what="the console's sign-in again")
        assert first.headers["location"].startswith(local_stack.oidc_issuer_url)
        # The same session comes back from the store (a lost one would get a new id).
        again = await client.get("/auth/login", follow_redirects=False)
        assert again.is_redirect, again.status_code
        assert _session_id(again) == _session_id(first)
