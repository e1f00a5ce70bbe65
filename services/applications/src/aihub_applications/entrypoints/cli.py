"""`aihub-applications serve` runs the service."""

from __future__ import annotations

import typer

from aihub_applications.entrypoints.app import definition
from aihub_shared.runtime.service import serve as serve_definition

app = typer.Typer(help="Seoul AI Hub applications service.", no_args_is_help=True)


@app.command()
def serve() -> None:
    """Run the service: HTTP API, Kafka consumers and the outbox relay."""
    serve_definition(definition())


@app.callback()
def main() -> None:
    """Keeps `serve` a named sub-command even while it is the only one."""
