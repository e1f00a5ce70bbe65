"""What operators and clients see of a healthy platform: metrics without a redirect, readiness
that names each dependency, request bodies over the limit refused before they are read."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from aihub_local.platform import PlatformServices

pytestmark = pytest.mark.integration

SERVICES = ("applications", "programs", "notifications")
#: `HTTP_MAX_BODY_BYTES`' default (README, configuration).
BODY_LIMIT = 1_048_576


@pytest.mark.parametrize("service", SERVICES)
async def test_metrics_answer_at_their_path(platform: PlatformServices, service: str) -> None:
    async with httpx.AsyncClient(base_url=platform.url(service)) as client:
        metrics = await client.get("/metrics")  # httpx follows no redirect unless asked
    assert metrics.status_code == 200, metrics.headers
    assert metrics.headers["content-type"].startswith("text/plain")
    assert f'outbox_pending{{service="{service}"}}' in metrics.text


@pytest.mark.parametrize("service", SERVICES)
async def test_readiness_names_each_dependency(platform: PlatformServices, service: str) -> None:
    async with httpx.AsyncClient(base_url=platform.url(service)) as client:
        serving = await client.get("/health/ready")
        consuming = await client.get("/health/consumers")
    assert serving.status_code == 200
    assert serving.json() == {
        "status": "ready",
        "checks": {
            "postgres": {"ok": True, "error": None},
            "background_tasks": {"ok": True, "error": None},
        },
        "down": [],
    }
    assert consuming.status_code == 200
    assert consuming.json()["checks"] == {"kafka": {"ok": True, "error": None}}


async def chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


async def test_a_body_over_the_limit_is_refused_before_it_is_read(
    platform: PlatformServices,
) -> None:
    headers = {
        "Authorization": f"Bearer {platform.admin_token()}",
        "Content-Type": "application/json",
    }
    async with httpx.AsyncClient(
        base_url=platform.url("applications"), headers=headers, timeout=30
    ) as client:
        declared = await client.post("/intake/applications", content=b" " * (10 * BODY_LIMIT))
        # Without a Content-Length (chunked), the body is counted as it arrives.
        streamed = await client.post("/intake/applications", content=chunks(2 * BODY_LIMIT))
        at_the_limit = await client.post(
            "/intake/applications", content=b"{}" + b" " * (BODY_LIMIT - 2)
        )
    for refused in (declared, streamed):
        assert refused.status_code == 413, refused.text
        assert refused.json() == {
            "detail": f"the request body is larger than the limit of {BODY_LIMIT} bytes"
        }
    # A body of exactly the limit is read and judged on its content: a 422, field by field.
    assert at_the_limit.status_code == 422, at_the_limit.text
    assert at_the_limit.json()["detail"][0]["loc"][0] == "body"


async def test_a_route_answers_405_with_every_method_of_its_path(
    platform: PlatformServices,
) -> None:
    headers = {"Authorization": f"Bearer {platform.admin_token()}"}
    async with httpx.AsyncClient(base_url=platform.url("notifications"), headers=headers) as c:
        wrong = await c.post("/staff/someone@hub.example")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "DELETE, PUT"
