"""`aihub-console serve`: the console's HTTP server."""

from __future__ import annotations

import signal
import sys

import typer
import uvicorn

from aihub_console.entrypoints.app import build_app
from aihub_console.settings import ConsoleSettings

app = typer.Typer(help="Seoul AI Hub staff console.", no_args_is_help=True, add_completion=False)


@app.command()
def serve() -> None:
    """Serve the console until SIGTERM."""
    settings = ConsoleSettings()  # every field from the environment
    # uvicorn re-raises the signal it caught once shutdown is complete: exit 0 instead.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    uvicorn.run(
        build_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
        # Behind a proxy the client address comes from it; the console trusts none by default.
        proxy_headers=False,
    )


@app.command()
def version() -> None:
    """Print the console's version."""
    from importlib.metadata import version as package_version

    print(package_version("aihub-console"))
