"""pytest plugin (entry point `pytest11`): the real infrastructure for every test folder.

``local_stack`` brings up Kafka, Postgres, the SMTP capture and Keycloak with the launcher people
use, in ``<repo>/.state/test`` on free ports, once per session; staff tokens of
``aihub_local.testing`` then come from that Keycloak. It stays running afterwards so the next
run starts in about a second; ``AIHUB_TEST_STACK_DOWN=1`` (set by ``./dev test`` in CI) stops it
when the session ends.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from aihub_local.paths import state_dir_for_tests
from aihub_local.stack import LocalStack, StackEndpoints
from aihub_local.testing import use_stack_for_tokens


@pytest.fixture(scope="session")
def local_stack() -> Iterator[StackEndpoints]:
    """Endpoints of the running test infrastructure (started if needed, idempotently)."""
    stack = LocalStack(state_dir_for_tests(), fixed_ports=False)
    endpoints = stack.up()
    use_stack_for_tokens(endpoints)
    yield endpoints
    if os.environ.get("AIHUB_TEST_STACK_DOWN") == "1":
        stack.down()
