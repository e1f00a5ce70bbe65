"""`aihub-notifications serve` runs the service."""

from __future__ import annotations

import typer

from aihub_notifications.entrypoints.app import definition
from aihub_shared.runtime.service import serve as serve_definition

app = typer.Typer(help="Seoul AI Hub notifications service.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Seoul AI Hub notifications service."""
    # With one command, Typer would run it without its name; the callback keeps `serve` a
    # subcommand, like the other services' CLIs.


@app.command()
def serve() -> None:
    """Run the service: Kafka consumers, the mail sender and the outbox relay."""
    serve_definition(definition())
