"""``aihub-local``: bring the local infrastructure up and down, look at captured mail."""

from __future__ import annotations

import email.header
import email.utils
import json
import mailbox
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from aihub_local.component import StartupError
from aihub_local.paths import default_state_dir
from aihub_local.platform import (
    CONSOLE,
    DEV_HTTP_PORTS,
    PIDS_FILE,
    PLATFORM_PROCESSES,
    PlatformServices,
    create_topics,
    free_port,
    port_is_free,
    seed_catalog,
    stop_recorded_services,
)
from aihub_local.services_cli import (
    NOT_APPLICABLE,
    platform_restart,
    print_service_rows,
    service_rows,
)
from aihub_local.stack import DB_ROLES, SERVICE_ROLES, LocalStack, StackEndpoints
from aihub_local.staff_accounts import (
    DEMO_ACCOUNTS,
    DEMO_ROLE_NAMES,
    REALM_ROLES_OF,
    ensure_demo_accounts,
    local_token,
)
from aihub_local.system import MissingDependencyError
from aihub_shared.kafka_access.table import PORTAL

app = typer.Typer(
    help="Seoul AI Hub platform on one machine: Kafka (KRaft), Postgres, SMTP capture.",
    no_args_is_help=True,
    add_completion=False,
)
infra_app = typer.Typer(help="Kafka, Postgres and the SMTP capture.", no_args_is_help=True)
mail_app = typer.Typer(help="Mail received by the SMTP capture.", no_args_is_help=True)
app.add_typer(infra_app, name="infra")
app.add_typer(mail_app, name="mail")
app.command("restart")(platform_restart)

console = Console()
err_console = Console(stderr=True)

StateDirOption = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="State directory [default: $AIHUB_STATE_DIR or <repo>/.state/dev].",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def stack_for(state_dir: Path | None) -> LocalStack:
    """The developer stack (stable ports) of ``state_dir`` or the default state dir."""
    return LocalStack(state_dir or default_state_dir(), fixed_ports=True)


def endpoints_json(endpoints: StackEndpoints) -> dict[str, Any]:
    data = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(endpoints).items()}
    data["service_database_urls"] = {
        service: endpoints.service_database_url(service) for service in DB_ROLES
    }
    return data


def print_endpoints(endpoints: StackEndpoints) -> None:
    table = Table(title="Local infrastructure", show_header=False, title_justify="left")
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row("Kafka bootstrap", endpoints.kafka_bootstrap)
    table.add_row("Postgres (superuser)", endpoints.postgres_admin_dsn)
    for service in DB_ROLES:
        table.add_row(f"Postgres ({service})", endpoints.service_database_url(service))
    table.add_row("SMTP", f"{endpoints.smtp_host}:{endpoints.smtp_port}")
    table.add_row("Maildir", str(endpoints.mail_dir))
    table.add_row("Keycloak", f"{endpoints.keycloak_url} (admin console: /admin)")
    table.add_row("OIDC issuer", endpoints.oidc_issuer_url)
    table.add_row("State dir", str(endpoints.state_dir))
    console.print(table)


def print_publisher_login(endpoints: StackEndpoints) -> None:
    """How the example publishing system logs in: local passwords, generated for this state
    dir, shown so a newcomer can publish at once (README: adding a publishing system)."""
    portal = endpoints.kafka_as(PORTAL.name)
    console.print(
        f"publishing system `{portal.username}` (writes intake.applications and"
        f" intake.kpi-reports, reads intake.receipts): {portal.bootstrap_servers},"
        f" {portal.security_protocol} {portal.sasl_mechanism}, user {portal.username},"
        f" password {portal.password.get_secret_value()} (local only)",
        soft_wrap=True,
        highlight=False,
    )


def print_demo_accounts(endpoints: StackEndpoints, console_url: str | None = None) -> None:
    table = Table(
        title="Local demo accounts (local passwords, never outside this machine)",
        title_justify="left",
    )
    for column in ("e-mail (sign-in name)", "password", "role"):
        table.add_column(column, overflow="fold")
    for account in DEMO_ACCOUNTS:
        table.add_row(account.email, account.password, DEMO_ROLE_NAMES[account.email])
    console.print(table)
    if console_url is not None:
        console.print(
            f"[bold]staff console: {console_url}[/] (sign in there with an account above)",
            highlight=False,
        )
    console.print(
        f"your account: {endpoints.keycloak_url}/realms/aihub/account · "
        "a token: ./dev token --role admin --email admin@hub.example",
        highlight=False,
    )


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(1)


@infra_app.command("up")
def infra_up(state_dir: StateDirOption = None, as_json: JsonOption = False) -> None:
    """Start (or reuse) Kafka, Postgres and the SMTP capture; print their endpoints."""
    stack = stack_for(state_dir)
    started = time.monotonic()
    try:
        if as_json:
            endpoints = stack.up()
        else:
            with err_console.status("Starting Kafka, Postgres and the SMTP capture..."):
                endpoints = stack.up()
    except (StartupError, MissingDependencyError, RuntimeError) as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        print(json.dumps(endpoints_json(endpoints), indent=2))
        return
    print_endpoints(endpoints)
    console.print(f"[green]ready[/] in {time.monotonic() - started:.1f}s")


@infra_app.command("down")
def infra_down(state_dir: StateDirOption = None) -> None:
    """Stop everything `infra up` started (data stays in the state dir)."""
    stack = stack_for(state_dir)
    with err_console.status("Stopping..."):
        stack.down()
    console.print(f"[green]stopped[/] ({stack.state_dir})")


@infra_app.command("status")
def infra_status(state_dir: StateDirOption = None, as_json: JsonOption = False) -> None:
    """Show each component's pid, ports and health. Exit code 1 unless all are healthy."""
    if not _show_status(stack_for(state_dir), as_json, services=None):
        raise typer.Exit(1)


@app.command("status")
def platform_status(state_dir: StateDirOption = None, as_json: JsonOption = False) -> None:
    """The infrastructure and the three services: pid, address, health. Exit code 1 unless all
    are healthy (a service: ready and consuming)."""
    stack = stack_for(state_dir)
    services = service_rows(stack.state_dir)
    if not _show_status(stack, as_json, services=services):
        raise typer.Exit(1)


def _show_status(
    stack: LocalStack, as_json: bool, *, services: list[dict[str, Any]] | None
) -> bool:
    statuses = stack.status()
    endpoints = stack.endpoints()
    if as_json:
        shown: dict[str, Any] = {
            "state_dir": str(stack.state_dir),
            "components": [asdict(s) for s in statuses],
            "endpoints": endpoints_json(endpoints) if endpoints else None,
        }
        if services is not None:
            shown["services"] = services
        print(json.dumps(shown, indent=2))
    else:
        table = Table(title=f"State dir {stack.state_dir}", title_justify="left")
        for column in ("component", "pid", "ports", "state", "details"):
            table.add_column(column, overflow="fold")
        for s in statuses:
            if s.healthy:
                state = "[green]healthy[/]"
            elif s.running:
                state = "[yellow]running, not answering[/]"
            else:
                state = "[red]stopped[/]"
            table.add_row(
                s.name,
                str(s.pid) if s.running else "-",
                ", ".join(f"{k}={v}" for k, v in s.ports.items()) if s.running else "-",
                state,
                ", ".join(f"{k}={v}" for k, v in s.info.items()),
            )
        console.print(table)
        if endpoints:
            print_endpoints(endpoints)
        if services is not None:
            print_service_rows(services)
    infra_ok = all(s.healthy for s in statuses)
    return infra_ok and all(
        row.get(kind) in ("ok", NOT_APPLICABLE)
        for row in services or []
        for kind in ("ready", "consuming")
    )


def _decode(value: str | None) -> str:
    if not value:
        return ""
    return str(email.header.make_header(email.header.decode_header(value)))


def _mail_dir(state_dir: Path | None) -> Path:
    stack = stack_for(state_dir)
    endpoints = stack.endpoints()
    return endpoints.mail_dir if endpoints else stack.state_dir / "mail"


@mail_app.command("list")
def mail_list(
    state_dir: StateDirOption = None,
    limit: Annotated[int, typer.Option(help="Show only the newest N mails (0: all).")] = 50,
    as_json: JsonOption = False,
) -> None:
    """List captured mails, oldest first: date, from, to, subject."""
    directory = _mail_dir(state_dir)
    if not (directory / "new").is_dir():
        if as_json:
            print("[]")
        else:
            console.print(f"no Maildir at {directory} yet")
        return
    box = mailbox.Maildir(directory, create=False)
    rows: list[dict[str, Any]] = []
    for key, message in box.iteritems():
        date = message.get("Date")
        parsed = email.utils.parsedate_tz(date) if date else None
        stamp = float(email.utils.mktime_tz(parsed)) if parsed else message.get_date()
        rows.append(
            {
                "key": key,
                "timestamp": stamp,
                "date": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp)),
                "from": _decode(message.get("From")),
                "to": [_decode(r) for r in message.get_all("To") or []],
                "subject": _decode(message.get("Subject")),
                "envelope_from": message.get("X-Envelope-From", ""),
                "envelope_to": message.get_all("X-Envelope-To") or [],
            }
        )
    rows.sort(key=lambda row: float(row["timestamp"]))
    if limit:
        rows = rows[-limit:]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(title=f"{len(rows)} mail(s) in {directory}", title_justify="left")
    for column in ("date", "from", "to", "subject", "key"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row["date"],
            row["from"] or row["envelope_from"],
            ", ".join(row["to"] or row["envelope_to"]),
            row["subject"],
            row["key"],
        )
    console.print(table)


@mail_app.command("show")
def mail_show(
    key: Annotated[str, typer.Argument(help="Key from `mail list`.")],
    state_dir: StateDirOption = None,
) -> None:
    """Print one captured mail exactly as stored (raw bytes)."""
    box = mailbox.Maildir(_mail_dir(state_dir), create=False)
    try:
        raw = box.get_bytes(key)
    except KeyError as exc:
        raise _fail(f"no mail with key {key}") from exc
    sys.stdout.buffer.write(raw)
    sys.stdout.flush()


@app.command("up")
def platform_up(state_dir: StateDirOption = None) -> None:
    """Start the whole platform: infrastructure, topics, the three services, the hub's programs,
    the staff console.

    Safe to re-run: running infrastructure is reused, the services are restarted."""
    stack = stack_for(state_dir)
    started = time.monotonic()
    try:
        with err_console.status("Starting Kafka, Postgres and the SMTP capture..."):
            endpoints = stack.up()
        with err_console.status("Creating topics..."):
            create_topics(endpoints)
        stop_recorded_services(endpoints.state_dir)
        services = PlatformServices(
            endpoints,
            log_dir=endpoints.state_dir / "logs" / "services",
            http_ports={
                name: port if port_is_free(port) else free_port()
                for name, port in DEV_HTTP_PORTS.items()
                if name in PLATFORM_PROCESSES
            },
        )
        for name in SERVICE_ROLES:
            with err_console.status(f"Starting {name}..."):
                services.start(name)
            services.record(endpoints.state_dir / PIDS_FILE)
        with err_console.status("Seeding the hub's programs..."):
            seeded = seed_catalog(endpoints)
        with err_console.status("Creating the local demo accounts in Keycloak..."):
            ensure_demo_accounts(endpoints)
        with err_console.status("Starting the staff console..."):
            services.start(CONSOLE)
        services.record(endpoints.state_dir / PIDS_FILE)
    except (StartupError, MissingDependencyError, RuntimeError, TimeoutError) as exc:
        raise _fail(str(exc)) from exc
    print_endpoints(endpoints)
    table = Table(title="Services", title_justify="left")
    for column in ("service", "API (OpenAPI at /docs)", "health", "log"):
        table.add_column(column, overflow="fold")
    for name in SERVICE_ROLES:
        url = services.url(name)
        table.add_row(
            name, f"{url}/docs", f"{url}/health/ready", str(services.log_dir / f"{name}.log")
        )
    console_url = services.url(CONSOLE)
    table.add_row(
        CONSOLE,
        f"{console_url} (web pages)",
        f"{console_url}/health/ready",
        str(services.log_dir / f"{CONSOLE}.log"),
    )
    console.print(table)
    console.print(seeded, highlight=False)
    print_demo_accounts(endpoints, console_url)
    console.print("admin token (5 minutes; more: ./dev token), for `Authorization: Bearer ...`:")
    # One unbroken line, whatever the terminal's width, so it can be copied.
    console.print(services.admin_token(), soft_wrap=True, highlight=False)
    print_publisher_login(endpoints)
    console.print(
        f"captured mail: ./dev mail · stop: ./dev down · [green]ready[/] in"
        f" {time.monotonic() - started:.1f}s"
    )


@app.command("down")
def platform_down(state_dir: StateDirOption = None) -> None:
    """Stop the three services, then the infrastructure (data stays in the state dir)."""
    stack = stack_for(state_dir)
    with err_console.status("Stopping the services..."):
        stopped = stop_recorded_services(stack.state_dir)
    with err_console.status("Stopping the infrastructure..."):
        stack.down()
    console.print(
        f"[green]stopped[/] {', '.join([*stopped, 'infrastructure'])} ({stack.state_dir})"
    )


@app.command("token")
def token_command(
    role: Annotated[
        str, typer.Option(help=f"One of {', '.join(REALM_ROLES_OF)} (the last two: the catalog's).")
    ],
    email: Annotated[str, typer.Option(help="The staff member's e-mail (created if new).")],
    name: Annotated[str, typer.Option(help="Display name of a new account.")] = "",
    state_dir: StateDirOption = None,
) -> None:
    """Print an access token from the local Keycloak (password grant, local stacks only)."""
    endpoints = stack_for(state_dir).endpoints()
    if endpoints is None:
        raise _fail("the local stack is not running; start it with ./dev up")
    try:
        token = local_token(endpoints, email=email, role=role, name=name)
    except (ValueError, RuntimeError) as exc:
        raise _fail(str(exc)) from exc
    print(token)
