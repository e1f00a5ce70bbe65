"""The HTTP APIs answer as their OpenAPI says: Schemathesis (`--checks all`) against each real
service. Every status a route answers must be declared with its body, every body must match its
schema, invalid input must be refused and valid input accepted, no answer may be a 5xx."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from aihub_local.platform import PlatformServices

pytestmark = pytest.mark.integration

CONFIG = Path(__file__).with_name("schemathesis.toml")
#: Fixed, so a run is reproducible and its failures can be replayed; the budget keeps the three
#: runs to about a minute on a 2-core machine.
SEED = 20261130
MAX_EXAMPLES = 10


@pytest.mark.parametrize("service", ["applications", "programs", "notifications"])
def test_every_answer_is_documented(
    platform: PlatformServices, service: str, tmp_path: Path
) -> None:
    schemathesis = Path(sys.executable).with_name("schemathesis")
    run = subprocess.run(
        [
            str(schemathesis),
            "--config-file",
            str(CONFIG),
            "run",
            f"{platform.url(service)}/openapi.json",
            "--checks",
            "all",
            "--seed",
            str(SEED),
            "--max-examples",
            str(MAX_EXAMPLES),
            "--workers",
            "1",
            "--no-color",
        ],
        # The token through the environment: not on a command line other users can read.
        env={**os.environ, "AIHUB_SCHEMATHESIS_TOKEN": platform.admin_token()},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = run.stdout[-20_000:] + run.stderr[-5_000:]
    assert run.returncode == 0, report
    summary = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert summary is not None, report
    assert int(summary[1]) > 0, report  # it did test something
