"""Helpers the end-to-end tests share: unique names, a one-cohort catalog file, valid business
registration numbers, the captured mails to an address and outages of the infrastructure
(fixtures stay in conftest.py)."""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aihub_local.procutil import stop_pid
from aihub_local.stack import LocalStack
from aihub_local.testing import valid_brn


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def write_test_catalog(
    directory: Path,
    *,
    program: str,
    cohort: str,
    seats: int,
    manager_email: str,
    questions: list[dict[str, Any]] | None = None,
    review_stages: list[dict[str, Any]] | None = None,
    cohort_settings: dict[str, Any] | None = None,
    **more_settings: Any,
) -> Path:
    """A catalog file with one program and one open cohort; `cohort_settings` and
    `more_settings` add to the cohort (`bonus_items`, `bonus_cap`, ...)."""
    now = datetime.now(UTC)
    catalog: dict[str, Any] = {
        "programs": [
            {
                "code": program,
                "name_ko": "테스트 배치 프로그램",
                "name_en": "Test batch program",
                "partner": "Cyber Valley",
                "program_managers": [
                    {"name": "프로그램 매니저", "email": manager_email, "locale": "ko"}
                ],
                "cohorts": [
                    {
                        "code": cohort,
                        "seats": seats,
                        "application_opens_at": (now - timedelta(hours=1)).isoformat(),
                        "application_closes_at": (now + timedelta(days=1)).isoformat(),
                        "max_startup_age_years": 7,
                        "questions": questions or [],
                        **({"review_stages": review_stages} if review_stages else {}),
                        **(cohort_settings or {}),
                        **more_settings,
                    }
                ],
            }
        ]
    }
    path = directory / f"{cohort}.json"
    path.write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")
    return path


def business_number(n: int) -> str:
    """A valid 사업자등록번호 for each n: nine digits, then their check digit."""
    return valid_brn(n * 7919 + 101_810_000)


async def stop_infrastructure(state_dir: Path, component: str) -> None:
    """An outage: stop one process of the test stack (`kafka` or `postgres`) the way `down`
    does; `restore_infrastructure` brings it back on the same port with its data."""
    stack = LocalStack(state_dir, fixed_ports=False)
    pid = next(s.pid for s in stack.status() if s.name == component and s.running)
    assert pid is not None
    stop_signal = signal.SIGINT if component == "postgres" else signal.SIGTERM
    await asyncio.to_thread(stop_pid, pid, sig=stop_signal, timeout=60)


async def restore_infrastructure(state_dir: Path) -> None:
    await asyncio.to_thread(LocalStack(state_dir, fixed_ports=False).up)
