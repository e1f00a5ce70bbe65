"""How a stage script hands its figures to `pipeline.py`: one line on stdout, among the service's
own JSON log lines."""

from __future__ import annotations

import json
import resource

from aihub_shared.runtime.logging import configure_logging

RESULT = "RESULT "


def log_as_service(service: str) -> None:
    """Log as the service does in production: JSON lines, INFO (their cost is the service's)."""
    configure_logging(service, level="INFO", json=True)


def report(figures: dict[str, float]) -> None:
    """The figures, with this process's peak RSS (ru_maxrss is in KiB on Linux)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(RESULT + json.dumps({**figures, "rss_mib": rss}), flush=True)
