"""`aihub-console serve`: the console's HTTP server."""

from __future__ import annotations

import typer

from aihub_console.entrypoints.app import build_app
from aihub_console.settings import ConsoleSettings
from aihub_shared.runtime.service import serve_http

app = typer.Typer(help="Seoul AI Hub staff console.", no_args_is_help=True, add_completion=False)


@app.command()
def serve() -> None:
    """Serve the console until SIGTERM."""
    settings = ConsoleSettings()  # every field from the environment
    serve_http(build_app(settings), host=settings.http_host, port=settings.http_port)


@app.command("new-session-key")
def new_session_key() -> None:
    """Print a new key for SESSION_ENCRYPTION_KEYS (put it first to rotate; keep the old one
    after it until the sessions it sealed have ended)."""
    from aihub_console.adapters.session_seal import new_key

    print(new_key())


@app.command()
def version() -> None:
    """Print the console's version."""
    from importlib.metadata import version as package_version

    print(package_version("aihub-console"))
