"""`aihub-kafka-access`: apply the access table, add a publishing system, print the table.

It connects as the `KAFKA_*` variables say, with the bootstrap admin (a super user); passwords
of the principals come from `KAFKA_PASSWORD_<NAME>` (e.g. `KAFKA_PASSWORD_APPLICATIONS`), so they
travel like every other secret (compose variables, a k8s Secret) and are never printed.
"""

from __future__ import annotations

import os
import secrets
import sys

import typer

from aihub_shared.kafka_access.apply import apply_access
from aihub_shared.kafka_access.table import PRINCIPALS, Principal, publisher
from aihub_shared.runtime.kafka_client import kafka_from_environment

app = typer.Typer(help="Kafka SCRAM users and ACLs of the platform.", no_args_is_help=True)


def password_variable(name: str) -> str:
    return "KAFKA_PASSWORD_" + name.upper().replace("-", "_")


def passwords_from_environment(principals: list[Principal]) -> dict[str, str]:
    return {
        p.name: os.environ[password_variable(p.name)]
        for p in principals
        if os.environ.get(password_variable(p.name))
    }


@app.command("apply")
def apply_command() -> None:
    """Create/update every principal of the table that has a password and set exactly its ACLs
    (safe to re-run). Services and ops are required; the portal example and the test principal
    are applied only when their password is given."""
    passwords = passwords_from_environment(list(PRINCIPALS))
    chosen = [p for p in PRINCIPALS if p.required or p.name in passwords]
    try:
        done = apply_access(kafka_from_environment(), chosen, passwords)
    except ValueError as exc:
        variables = ", ".join(password_variable(p.name) for p in chosen if p.name not in passwords)
        raise typer.BadParameter(f"{exc} (set {variables})") from exc
    for applied in done:
        typer.echo(
            f"{applied.principal}: {applied.created} ACLs granted, {applied.deleted} revoked"
        )


@app.command("add-publisher")
def add_publisher_command(
    name: str = typer.Argument(..., help="the system's principal, e.g. partner-x"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from stdin instead of generating one."
    ),
) -> None:
    """A new publishing system: its SCRAM user and the publisher ACLs (write intake.applications
    and intake.kpi-reports, read intake.receipts with groups `<name>.*`)."""
    try:
        principal = publisher(name)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    generated = not password_stdin
    password = secrets.token_urlsafe(24) if generated else sys.stdin.readline().strip()
    if len(password) < 16:
        raise typer.BadParameter("a publisher's password has at least 16 characters")
    apply_access(kafka_from_environment(), [principal], {name: password})
    typer.echo(f"publisher {name} may now write intake.applications and intake.kpi-reports")
    if generated:
        # Shown once, to hand to the system's operators; the broker keeps only a salted hash.
        typer.echo(f"password (shown once): {password}")


@app.command("table")
def table_command() -> None:
    """Print the access table as Markdown (the README's copy is checked against it)."""
    typer.echo(markdown_table())


def markdown_table() -> str:
    lines = [
        "| principal | reads (consumer groups) | writes | why |",
        "|---|---|---|---|",
    ]
    for p in PRINCIPALS:
        groups = ", ".join(f"`{g}*`" for g in p.groups)
        reads = ", ".join(f"`{t}`" for t in p.reads) or "—"
        if groups:
            reads += f" ({groups})"
        writes = ", ".join(f"`{t}`" for t in p.writes) or "—"
        if p.manages_topics:
            writes += "; creates and configures the platform's topics"
        lines.append(f"| `{p.name}` | {reads} | {writes} | {p.why} |")
    return "\n".join(lines)
