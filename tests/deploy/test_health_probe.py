"""deploy/docker/healthcheck.py, the probe every image's HEALTHCHECK and compose's health checks
run, against a real HTTP server: exit 0 on a 200, 1 on anything else or nothing listening."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.deploy.support import HEALTHCHECK_SCRIPT


class _HealthHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = {"/health/live": 200, "/health/ready": 503}.get(self.path, 404)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HealthHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _probe(path: str, port: int) -> int:
    result = subprocess.run(
        [sys.executable, str(HEALTHCHECK_SCRIPT), path],
        env={"HTTP_PORT": str(port)},
        capture_output=True,
        timeout=30,
        check=False,
    )
    return result.returncode


def test_health_probe_follows_the_service_answer(health_server: int) -> None:
    assert _probe("/health/live", health_server) == 0
    assert _probe("/health/ready", health_server) == 1  # 503: not ready
    assert _probe("/nowhere", health_server) == 1


def test_health_probe_fails_when_nothing_listens() -> None:
    # A port just bound and released: nothing listens there.
    with http.server.HTTPServer(("127.0.0.1", 0), _HealthHandler) as spare:
        port = spare.server_address[1]
    assert _probe("/health/live", port) == 1
