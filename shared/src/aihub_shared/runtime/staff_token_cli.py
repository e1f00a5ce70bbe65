"""`aihub-staff-token`: mint staff bearer tokens for the HTTP APIs (local and ops use)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from aihub_shared.identity import Role
from aihub_shared.runtime.staff_tokens import StaffApiSettings, issue_staff_token

app = typer.Typer(help="Mint staff bearer tokens for the HTTP APIs.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Keeps `issue` a subcommand, so more (e.g. `inspect`) can follow."""


@app.command("issue")
def issue_command(
    subject: Annotated[str, typer.Option("--email", help="The staff member's e-mail address.")],
    role: Annotated[Role, typer.Option(help="admin, program_manager, reviewer or ops.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    program: Annotated[
        list[str] | None, typer.Option(help="A managed program code (repeat for several).")
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=366, help="Validity in days.")] = 30,
) -> None:
    """Print a token signed with $STAFF_TOKEN_SECRET."""
    secret = StaffApiSettings().staff_token_secret.get_secret_value()
    token = issue_staff_token(
        secret,
        subject=subject,
        name=name or subject,
        role=role,
        programs=frozenset(program or []),
        ttl=timedelta(days=days),
    )
    typer.echo(token)
