"""pytest plugin (entry point `pytest11`): the real infrastructure for every test folder.

``local_stack`` brings up Kafka, Postgres, the SMTP capture and Keycloak with the launcher people
use, in ``<repo>/.state/test`` on free ports, once per session; staff tokens of
``aihub_local.testing`` then come from that Keycloak. It stays running afterwards so the next
run starts in about a second; ``AIHUB_TEST_STACK_DOWN=1`` (set by ``./dev test`` in CI) stops it
when the session ends.

``platform`` starts the three services on it as OS processes (once per session, shared by the
end-to-end and the browser tests), ``console`` the staff console next to them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from aihub_local.paths import state_dir_for_tests
from aihub_local.platform import CONSOLE, PlatformServices, create_topics
from aihub_local.stack import LocalStack, StackEndpoints
from aihub_local.testing import use_stack_for_tokens


def pytest_configure(config: pytest.Config) -> None:
    """Hypothesis without its per-example deadline, in every test folder: a property test asserts
    a property, not a time (speed is the benchmarks' to measure), and on a loaded 2-core machine
    an example's 200 ms deadline failed a rendering test that passes alone."""
    try:
        from hypothesis import settings
    except ImportError:  # the launcher installed without the test tools
        return
    settings.register_profile("aihub", deadline=None)
    settings.load_profile("aihub")


@pytest.fixture(scope="session")
def local_stack() -> Iterator[StackEndpoints]:
    """Endpoints of the running test infrastructure (started if needed, idempotently)."""
    stack = LocalStack(state_dir_for_tests(), fixed_ports=False)
    endpoints = stack.up()
    use_stack_for_tokens(endpoints)
    yield endpoints
    if os.environ.get("AIHUB_TEST_STACK_DOWN") == "1":
        stack.down()


@pytest.fixture(scope="session")
def platform(local_stack: StackEndpoints) -> Iterator[PlatformServices]:
    """The three services as OS processes against the real Kafka, Postgres and SMTP capture."""
    create_topics(local_stack)
    log_dir = local_stack.state_dir / "logs" / "services"
    log_dir.mkdir(parents=True, exist_ok=True)
    services = PlatformServices(local_stack, log_dir=log_dir)
    try:
        services.start_all()
        yield services
    finally:
        codes = services.stop_all()
    # A clean SIGTERM shutdown is part of the contract: every service exits 0.
    assert all(code == 0 for code in codes.values()), codes


@pytest.fixture(scope="session")
def console(platform: PlatformServices) -> Iterator[str]:
    """The staff console's base URL, the console running against `platform`'s services."""
    platform.start(CONSOLE)
    yield platform.url(CONSOLE)
    code = platform.process(CONSOLE).terminate()
    assert code == 0, f"the console exited with {code}"
