"""Fixtures shared by the cross-service tests.

``local_stack`` brings up the real infrastructure (Kafka KRaft, Postgres, SMTP capture) with the
same launcher people use (``./dev up``), in ``<repo>/.state/test`` on free ports, once per
session.

It is deliberately NOT stopped at the end of the session: keeping it warm makes the next run
start in about a second (``up()`` reuses whatever is still running and healthy, and restarts the
rest). Stop it with ``aihub-local infra down --state-dir .state/test``, or set
``AIHUB_TEST_STACK_DOWN=1`` to stop it when the session ends.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from aihub_local.stack import LocalStack, StackEndpoints

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_STATE_DIR = REPO_ROOT / ".state" / "test"


@pytest.fixture(scope="session")
def local_stack() -> Iterator[StackEndpoints]:
    """Endpoints of the running test infrastructure (started if needed, idempotently)."""
    stack = LocalStack(TEST_STATE_DIR, fixed_ports=False)
    endpoints = stack.up()
    yield endpoints
    if os.environ.get("AIHUB_TEST_STACK_DOWN") == "1":
        stack.down()
