"""``aihub-local status`` and ``aihub-local restart SERVICE``: the three services and the console
next to the infrastructure (``cli.py`` registers these commands)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from aihub_local.component import StartupError
from aihub_local.paths import default_state_dir
from aihub_local.platform import (
    CONSOLE,
    PLATFORM_PROCESSES,
    PlatformServices,
    record_service,
    recorded_services,
    stop_recorded_service,
)
from aihub_local.stack import LocalStack

console = Console()
err_console = Console(stderr=True)

#: What each health answer means to a person (see the README's Operations).
PROBES = {"ready": "/health/ready", "consuming": "/health/consumers"}
#: The answer of a probe that does not apply (the console consumes nothing).
NOT_APPLICABLE = "n/a"


def probe(url: str, timeout: float = 3.0) -> str:
    """`ok`, or what is wrong: the dependencies the service names as down, or no answer."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - our http URL
            return "ok" if answer.status == 200 else f"HTTP {answer.status}"
    except urllib.error.HTTPError as exc:
        try:
            down = json.loads(exc.read()).get("down") or []
        except ValueError:
            down = []
        return f"down: {', '.join(down)}" if down else f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"no answer ({type(getattr(exc, 'reason', exc)).__name__})"


def service_rows(state_dir: Path) -> list[dict[str, Any]]:
    """One row per service: URL, pid and each health answer (`not started` if none recorded)."""
    recorded = recorded_services(state_dir)
    rows = []
    for name in PLATFORM_PROCESSES:
        info = recorded.get(name)
        if info is None:
            row: dict[str, Any] = {"service": name, "url": None, "pid": None}
            rows.append({**row, "ready": "not started", "consuming": "not started"})
            continue
        url = f"http://127.0.0.1:{info['port']}"
        health = {
            kind: NOT_APPLICABLE if (name, kind) == (CONSOLE, "consuming") else probe(url + path)
            for kind, path in PROBES.items()
        }
        rows.append({"service": name, "url": url, "pid": info["pid"], **health})
    return rows


def print_service_rows(rows: list[dict[str, Any]]) -> None:
    table = Table(title="Services", title_justify="left")
    for column in ("service", "URL (OpenAPI at /docs)", "pid", *PROBES):
        table.add_column(column, overflow="fold")
    for row in rows:
        health = [_coloured(row.get(kind, "-")) for kind in PROBES]
        table.add_row(row["service"], row["url"] or "-", str(row["pid"] or "-"), *health)
    console.print(table)


def _coloured(answer: str) -> str:
    if answer == NOT_APPLICABLE:
        return answer
    return "[green]ok[/]" if answer == "ok" else f"[red]{answer}[/]"


StateDirOption = Annotated[
    Path | None, typer.Option("--state-dir", help="State directory [default: <repo>/.state/dev].")
]


def platform_restart(
    service: Annotated[str, typer.Argument(help=f"One of: {', '.join(PLATFORM_PROCESSES)}.")],
    state_dir: StateDirOption = None,
) -> None:
    """Restart one service the way `up` starts it (same port, same settings, same log)."""
    if service not in PLATFORM_PROCESSES:
        err_console.print(f"[bold red]error:[/] no service {service!r}", highlight=False)
        raise typer.Exit(2)
    stack = LocalStack(state_dir or default_state_dir(), fixed_ports=True)
    endpoints = stack.endpoints()
    if endpoints is None:
        err_console.print("[bold red]error:[/] the infrastructure is not running: ./dev up")
        raise typer.Exit(1)
    started = time.monotonic()
    # Every recorded port: the service keeps its own, the console finds the services'.
    ports = {name: info["port"] for name, info in recorded_services(endpoints.state_dir).items()}
    services = PlatformServices(
        endpoints, log_dir=endpoints.state_dir / "logs" / "services", http_ports=ports
    )
    try:
        with err_console.status(f"Stopping {service}..."):
            stop_recorded_service(endpoints.state_dir, service)
        with err_console.status(f"Starting {service}..."):
            services.start(service)
    except (StartupError, RuntimeError, TimeoutError) as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from exc
    process = services.process(service)
    assert process.pid is not None  # started just now
    record_service(endpoints.state_dir, service, pid=process.pid, port=services.http_ports[service])
    print_service_rows([r for r in service_rows(endpoints.state_dir) if r["service"] == service])
    console.print(f"[green]restarted[/] in {time.monotonic() - started:.1f}s")
