"""docker-compose.yml, the service Dockerfiles and .dockerignore, checked without a Docker engine.

A real Compose implementation validates the file as it would load it: ``docker-compose config
-q`` (Compose v1, Debian package ``docker-compose``, installed by ``./dev bootstrap`` from
``deploy/apt-packages.txt``), and ``docker compose config -q`` too when the v2 plugin is there.
Without either, the tests fail: a missing validator must not pass silently.

The rest cross-checks the file against the code: each container's environment against the
``Settings`` its command reads (pydantic-settings field names and aliases) and against the
options of its console command, database users against the schema roles, Dockerfiles against the
console scripts of the packages, ``depends_on`` against the services and their health checks.
"""

from __future__ import annotations

import base64
import copy
import http.server
import importlib
import json
import re
import shutil
import subprocess
import sys
import threading
import tomllib
import uuid
from collections.abc import Iterator, Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
import yaml

from aihub_shared.runtime.settings import ServiceSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
HEALTHCHECK_SCRIPT = REPO_ROOT / "deploy" / "docker" / "healthcheck.py"
POSTGRES_INIT_DIR = REPO_ROOT / "deploy" / "postgres" / "init"

SERVICES = ("applications", "programs", "notifications")
HOST_PORTS = {"applications": 8001, "programs": 8002, "notifications": 8003}
CONTAINER_PORT = 8000
#: Where the Dockerfiles put deploy/docker/healthcheck.py.
HEALTHCHECK_IN_IMAGE = "/opt/aihub/healthcheck.py"

#: Variables the README promises are set in compose, even where Settings has a default.
PROMISED_ENV = {
    "applications": {"KAFKA_BOOTSTRAP_SERVERS", "APPLICATIONS_DATABASE_URL", "STAFF_TOKEN_SECRET"},
    "programs": {"KAFKA_BOOTSTRAP_SERVERS", "PROGRAMS_DATABASE_URL", "STAFF_TOKEN_SECRET"},
    "notifications": {
        "KAFKA_BOOTSTRAP_SERVERS",
        "NOTIFICATIONS_DATABASE_URL",
        "STAFF_TOKEN_SECRET",
        "SMTP_HOST",
        "SMTP_PORT",
    },
}
#: Containers that run a service package's code which reads that package's `Settings`.
SETTINGS_OF = {
    "applications": "applications",
    "programs": "programs",
    "notifications": "notifications",
    "programs-seed": "programs",
}
ONE_SHOTS = ("topic-init", "programs-seed")
#: What each one-shot runs, and which service's image it uses.
ONE_SHOT_COMMANDS = {
    "topic-init": (["aihub-contracts", "create-topics"], "applications"),
    "programs-seed": (["aihub-programs", "seed"], "programs"),
}
RESTART_POLICIES = re.compile(r"^(no|always|unless-stopped|on-failure(:\d+)?)$")
DEPENDS_ON_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
#: Go's time.ParseDuration syntax, which Compose uses for durations.
GO_DURATION = re.compile(r"^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$")
#: Compose interpolation: $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?err}...
INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[_a-zA-Z][_a-zA-Z0-9]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[_a-zA-Z][_a-zA-Z0-9]*))"
)


# ---------------------------------------------------------------------------------------------
# Loading


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's variable interpolation of one string, against `env`."""

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["named"]
        op, arg = match["op"], match["arg"] or ""
        value = env.get(name)
        is_set = value is not None and (value != "" or not (op or "").startswith(":"))
        if op in ("-", ":-"):
            return value if is_set and value is not None else arg
        if op in ("?", ":?"):
            if not is_set:
                raise ValueError(f"required variable {name} is missing: {arg}")
            return value or ""
        if op in ("+", ":+"):
            return arg if is_set else ""
        return value or ""

    return INTERPOLATION.sub(replace, text)


def interpolate_tree(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, dict):
        return {key: interpolate_tree(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate_tree(value, env) for value in node]
    return node


def load_yaml(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{path} is not a mapping"
    return document


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    """The compose file as YAML (anchors and merge keys resolved), not interpolated."""
    return load_yaml(COMPOSE_FILE)


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any]) -> dict[str, Any]:
    """The compose file as `docker compose up` sees it with no variable set (defaults apply)."""
    return cast(dict[str, Any], interpolate_tree(raw, {}))


def services_of(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    services = document["services"]
    assert isinstance(services, dict)
    return services


def environment_of(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's `environment` as a mapping (compose allows a mapping or KEY=VALUE list)."""
    env = service.get("environment", {})
    if isinstance(env, list):
        pairs = [item.split("=", 1) for item in env]
        return {pair[0]: pair[1] if len(pair) == 2 else "" for pair in pairs}
    assert isinstance(env, dict)
    for key, value in env.items():
        # YAML 1.1 turns yes/on/1025 into bools and ints; quote every value to say what you mean.
        assert isinstance(value, str), f"environment {key}={value!r} is not a quoted string"
    return cast(dict[str, str], env)


def depends_on_of(service: Mapping[str, Any]) -> dict[str, str]:
    """depends_on as {service: condition} (the short list form means service_started)."""
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def settings_class(package: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"aihub_{package}.settings")
    cls = module.Settings
    assert issubclass(cls, ServiceSettings)
    return cast(type[ServiceSettings], cls)


def settings_env(cls: type[ServiceSettings]) -> dict[str, bool]:
    """Environment variables a Settings class reads -> whether each one is required."""
    config = cls.model_config
    assert config.get("env_prefix", "") == "", "names below assume no env_prefix"
    assert config.get("env_nested_delimiter") in (None, ""), "nested variables not handled"
    names: dict[str, bool] = {}
    for field_name, field in cls.model_fields.items():
        alias = field.validation_alias
        if alias is None:
            candidates = [field_name]
        elif isinstance(alias, str):
            candidates = [alias]
        else:  # AliasChoices: any of its plain-string choices
            choices = getattr(alias, "choices", None)
            assert choices is not None, f"{cls.__name__}.{field_name}: unsupported alias {alias!r}"
            candidates = [choice for choice in choices if isinstance(choice, str)]
        for candidate in candidates:
            names[candidate.upper()] = field.is_required()
    return names


def console_command(script: str) -> Any:
    """The click command behind a console script (typer apps are converted)."""
    (entry,) = entry_points(group="console_scripts", name=script)
    target = entry.load()
    typer_main = importlib.import_module("typer.main")
    return typer_main.get_command(target) if not hasattr(target, "params") else target


def command_envvars(argv: list[str]) -> set[str]:
    """Environment variables the console command `argv` reads through its options."""
    command = console_command(argv[0])
    for word in argv[1:]:
        subcommands = getattr(command, "commands", None)
        if not subcommands or word not in subcommands:
            break
        command = subcommands[word]
    names: set[str] = set()
    for param in command.params:
        envvar = getattr(param, "envvar", None)
        if isinstance(envvar, str):
            names.add(envvar)
        elif envvar:
            names.update(envvar)
    return names


def script_names(pyproject: Path) -> set[str]:
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return set(data["project"].get("scripts", {}))


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = pending + stripped
        pending = ""
        keyword, _, rest = full.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    assert not pending, f"{path}: dangling line continuation"
    return instructions


def instruction(instructions: list[tuple[str, str]], keyword: str) -> list[str]:
    return [rest for key, rest in instructions if key == keyword]


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list), f"not exec form: {arguments}"
    assert all(isinstance(item, str) for item in value)
    return cast(list[str], value)


def dockerfile_of(service: str) -> Path:
    return REPO_ROOT / "services" / service / "Dockerfile"


# ---------------------------------------------------------------------------------------------
# Validators


def _broken(raw: dict[str, Any], mutation: str) -> dict[str, Any]:
    document = copy.deepcopy(raw)
    services = services_of(document)
    if mutation == "unknown service key":
        services["kafka"]["helthcheck"] = services["kafka"].pop("healthcheck")
    elif mutation == "unknown depends_on condition":
        services["applications"]["depends_on"]["kafka"]["condition"] = "service_ready"
    elif mutation == "environment of the wrong type":
        services["programs"]["environment"] = "PROGRAMS_DATABASE_URL=x"
    elif mutation == "healthcheck test not a command":
        services["postgres"]["healthcheck"]["test"] = {"cmd": "pg_isready"}
    else:  # pragma: no cover
        raise AssertionError(mutation)
    return document


BROKEN = [
    "unknown service key",
    "unknown depends_on condition",
    "environment of the wrong type",
    "healthcheck test not a command",
]


def compose_clis() -> list[list[str]]:
    """The Compose implementations installed here: v1 (`docker-compose`) and the v2 plugin."""
    clis: list[list[str]] = []
    compose_v1 = shutil.which("docker-compose")
    if compose_v1:
        clis.append([compose_v1])
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            clis.append([docker, "compose"])
    return clis


def run_compose_config(cli: list[str], compose_file: Path) -> subprocess.CompletedProcess[str]:
    # A clean environment: the defaults in the file must be enough, and nothing from the
    # developer's shell (COMPOSE_FILE, STAFF_API_TOKEN, DOCKER_HOST...) may leak in.
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(compose_file.parent)}
    return subprocess.run(
        [*cli, "-f", str(compose_file), "config", "-q"],
        capture_output=True,
        text=True,
        env=env,
        cwd=compose_file.parent,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def clis() -> list[list[str]]:
    found = compose_clis()
    if not found:
        pytest.fail(
            "no Compose CLI: run ./dev bootstrap (installs Debian's docker-compose listed in"
            " deploy/apt-packages.txt)"
        )
    return found


def test_compose_cli_accepts_the_file(clis: list[list[str]]) -> None:
    for cli in clis:
        result = run_compose_config(cli, COMPOSE_FILE)
        assert result.returncode == 0, f"{' '.join(cli)} config: {result.stderr}"
        # An unset variable without a default gets a warning: there must be none.
        assert "variable is not set" not in result.stderr, result.stderr


@pytest.mark.parametrize("mutation", BROKEN)
def test_the_cli_rejects_a_broken_compose_file(
    clis: list[list[str]], raw: dict[str, Any], tmp_path: Path, mutation: str
) -> None:
    """The validation is not vacuous: each of these mistakes is reported."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(_broken(raw, mutation)), encoding="utf-8")
    for cli in clis:
        result = run_compose_config(cli, broken)
        assert result.returncode != 0, f"{' '.join(cli)} accepted: {mutation}"


def test_compose_cli_rejects_a_dependency_on_a_missing_service(
    clis: list[list[str]], raw: dict[str, Any], tmp_path: Path
) -> None:
    document = copy.deepcopy(raw)
    services_of(document)["applications"]["depends_on"]["kafak"] = {"condition": "service_started"}
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(document), encoding="utf-8")
    for cli in clis:
        result = run_compose_config(cli, broken)
        assert result.returncode != 0, f"{' '.join(cli)} accepted depends_on: kafak"
        assert "kafak" in result.stderr


# ---------------------------------------------------------------------------------------------
# What Compose's own validation does not check


def test_every_variable_has_a_default(raw: dict[str, Any]) -> None:
    """`docker compose up` must work on a fresh clone, without a .env file."""
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    without_defaults = [
        match[0]
        for match in INTERPOLATION.finditer(text)
        if not match["escaped"] and match["op"] not in ("-", ":-")
    ]
    assert without_defaults == []
    # ... and interpolating with nothing set leaves no `$` behind.
    assert "$" not in json.dumps(interpolate_tree(raw, {}))


def test_durations_and_restart_policies(compose: dict[str, Any]) -> None:
    for name, service in services_of(compose).items():
        assert RESTART_POLICIES.match(str(service.get("restart", "no"))), name
        if "stop_grace_period" in service:
            assert GO_DURATION.match(service["stop_grace_period"]), name
        check = service.get("healthcheck", {})
        for key in ("interval", "timeout", "start_period", "start_interval"):
            if key in check:
                assert GO_DURATION.match(check[key]), f"{name}.healthcheck.{key}"


def test_long_running_services_restart_and_one_shots_do_not(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    for name in (*SERVICES, "kafka", "postgres", "mailpit"):
        assert services[name]["restart"] == "unless-stopped", name
    for name in ONE_SHOTS:
        assert services[name]["restart"] == "no", name
        assert services[name]["healthcheck"] == {"disable": True}, name


def test_the_three_services_share_the_service_defaults(raw: dict[str, Any]) -> None:
    defaults = raw["x-service-defaults"]
    services = services_of(raw)
    for name in SERVICES:
        for key, value in defaults.items():
            assert services[name][key] == value, f"{name}.{key} differs from x-service-defaults"


def test_depends_on_names_existing_services_with_valid_conditions(
    compose: dict[str, Any],
) -> None:
    services = services_of(compose)
    for name, service in services.items():
        for dependency, condition in depends_on_of(service).items():
            assert dependency in services, f"{name} depends on unknown service {dependency}"
            assert condition in DEPENDS_ON_CONDITIONS, f"{name} -> {dependency}: {condition}"
            target = services[dependency]
            if condition == "service_healthy":
                check = target.get("healthcheck", {})
                no_check = f"{name} waits for {dependency} to be healthy; it has no health check"
                assert check.get("test"), no_check
                assert not check.get("disable"), no_check
            if condition == "service_completed_successfully":
                assert dependency in ONE_SHOTS, f"{dependency} never completes"


def test_depends_on_has_no_cycle(compose: dict[str, Any]) -> None:
    graph = {name: set(depends_on_of(s)) for name, s in services_of(compose).items()}
    done: set[str] = set()
    while len(done) < len(graph):
        ready = {name for name, deps in graph.items() if name not in done and deps <= done}
        assert ready, f"cycle among {sorted(set(graph) - done)}"
        done |= ready


def test_startup_order(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    for name in SERVICES:
        deps = depends_on_of(services[name])
        assert deps["postgres"] == "service_healthy", name
        assert deps["kafka"] == "service_healthy", name
        # Topic auto-creation is off: the topics must exist before anyone consumes.
        assert deps["topic-init"] == "service_completed_successfully", name
    assert depends_on_of(services["programs"])["programs-seed"] == (
        "service_completed_successfully"
    )
    assert depends_on_of(services["notifications"])["mailpit"] == "service_healthy"
    assert depends_on_of(services["topic-init"]) == {"kafka": "service_healthy"}
    assert depends_on_of(services["programs-seed"]) == {"postgres": "service_healthy"}


def test_service_ports(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    for name in SERVICES:
        assert services[name]["ports"] == [f"{HOST_PORTS[name]}:{CONTAINER_PORT}"], name
    assert "8025:8025" in services["mailpit"]["ports"]
    published = [int(port.split(":")[-2]) for s in services.values() for port in s.get("ports", [])]
    assert len(published) == len(set(published)), f"a host port is published twice: {published}"


def test_services_health_checks_ask_for_readiness(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    for name in SERVICES:
        assert services[name]["healthcheck"]["test"] == [
            "CMD",
            "python",
            HEALTHCHECK_IN_IMAGE,
            "/health/ready",
        ], name
    kafka_check = services["kafka"]["healthcheck"]["test"]
    assert kafka_check[1] == "/opt/kafka/bin/kafka-broker-api-versions.sh"
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]


# ---------------------------------------------------------------------------------------------
# Environment against the code that reads it


def test_settings_names_are_what_the_services_read() -> None:
    """The name derivation below, checked on fields whose names are known."""
    names = settings_env(settings_class("notifications"))
    assert names["NOTIFICATIONS_DATABASE_URL"] is True
    assert names["SMTP_PORT"] is False
    assert names["KAFKA_BOOTSTRAP_SERVERS"] is False
    assert "DATABASE_URL" not in names


@pytest.mark.parametrize("container", sorted(SETTINGS_OF))
def test_environment_is_what_the_settings_read(compose: dict[str, Any], container: str) -> None:
    package = SETTINGS_OF[container]
    service = services_of(compose)[container]
    env = environment_of(service)
    readable = settings_env(settings_class(package))
    command = service.get("command") or [f"aihub-{package}", "serve"]
    readable_by_command = command_envvars(command) if container in ONE_SHOTS else set()

    assert all(key == key.upper() for key in env), f"lower-case names in {container}"
    unknown = set(env) - set(readable) - readable_by_command
    assert unknown == set(), f"{container} sets variables nothing reads (typos?): {unknown}"
    missing = {name for name, required in readable.items() if required} - set(env)
    assert missing == set(), f"{container} lacks required variables: {missing}"
    promised = PROMISED_ENV[package] - set(env)
    assert promised == set(), f"{container} lacks variables the README promises: {promised}"


@pytest.mark.parametrize("container", sorted(SETTINGS_OF))
def test_settings_load_from_the_compose_environment(
    compose: dict[str, Any], container: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With compose's defaults, each container's Settings validate (types, lengths)."""
    cls = settings_class(SETTINGS_OF[container])
    for name in settings_env(cls):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    env = environment_of(services_of(compose)[container])
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = cls()
    assert settings.service_name == SETTINGS_OF[container]
    assert settings.kafka_bootstrap_servers == env["KAFKA_BOOTSTRAP_SERVERS"]
    assert settings.database_dsn == env[f"{SETTINGS_OF[container].upper()}_DATABASE_URL"]
    assert settings.http_port == CONTAINER_PORT


def test_staff_token_secret_comes_from_the_environment_with_a_long_enough_default(
    raw: dict[str, Any],
) -> None:
    pattern = re.compile(r"^\$\{STAFF_TOKEN_SECRET:-(?P<default>[^}]+)\}$")
    for name in ("applications", "programs", "programs-seed", "notifications"):
        value = environment_of(services_of(raw)[name])["STAFF_TOKEN_SECRET"]
        match = pattern.match(value)
        assert match, f"{name}: STAFF_TOKEN_SECRET={value}"
        assert len(match["default"]) >= 32


def test_topic_init_runs_create_topics_with_only_what_it_reads(compose: dict[str, Any]) -> None:
    service = services_of(compose)["topic-init"]
    assert service["command"] == ["aihub-contracts", "create-topics"]
    reads = command_envvars(service["command"])
    assert reads == {"KAFKA_BOOTSTRAP_SERVERS"}
    assert set(environment_of(service)) == reads


def test_one_shots_use_the_service_images(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    for name, (command, image_of) in ONE_SHOT_COMMANDS.items():
        service, owner = services[name], services[image_of]
        assert service["command"] == command
        assert service["image"] == owner["image"], name
        assert service["build"] == owner["build"], name
        # The console script is installed in that image: from the service or from shared/.
        scripts = script_names(REPO_ROOT / "services" / image_of / "pyproject.toml")
        scripts |= script_names(REPO_ROOT / "shared" / "pyproject.toml")
        assert command[0] in scripts, f"{command[0]} is not installed in {owner['image']}"


@pytest.mark.parametrize("container", sorted(SETTINGS_OF))
def test_database_url_user_is_the_services_own_role(
    compose: dict[str, Any], container: str
) -> None:
    services = services_of(compose)
    role = SETTINGS_OF[container]
    url = urlsplit(environment_of(services[container])[f"{role.upper()}_DATABASE_URL"])
    postgres_env = environment_of(services["postgres"])
    assert url.scheme in ("postgresql", "postgres")
    assert url.username == role
    assert url.password == role, "dev password of deploy/postgres/init is the role name"
    assert url.hostname in services
    assert services[url.hostname]["image"].startswith("postgres:")
    assert url.port == 5432
    assert url.path == f"/{postgres_env['POSTGRES_DB']}"


def test_each_service_has_a_different_role(compose: dict[str, Any]) -> None:
    users = [
        urlsplit(environment_of(services_of(compose)[name])[f"{name.upper()}_DATABASE_URL"])
        for name in SERVICES
    ]
    assert len({url.username for url in users}) == len(SERVICES)


def test_postgres_gets_the_init_scripts(compose: dict[str, Any]) -> None:
    postgres = services_of(compose)["postgres"]
    assert postgres["image"].split(":")[1].split(".")[0].split("-")[0] == "16"
    assert environment_of(postgres)["POSTGRES_DB"] == "aihub"
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in postgres["volumes"]}
    source = mounts["/docker-entrypoint-initdb.d"]
    assert (REPO_ROOT / source).resolve() == POSTGRES_INIT_DIR
    scripts = sorted(POSTGRES_INIT_DIR.glob("*.sql"))
    assert scripts, f"no init SQL in {POSTGRES_INIT_DIR}"
    sql = "\n".join(script.read_text(encoding="utf-8") for script in scripts)
    for role in SERVICES:
        assert f"'{role}'" in sql, f"the init SQL does not provision role {role}"


def test_kafka_is_a_single_kraft_node_without_topic_auto_creation(
    compose: dict[str, Any],
) -> None:
    services = services_of(compose)
    kafka = services["kafka"]
    env = environment_of(kafka)
    assert re.match(r"^apache/kafka:4\.\d+\.\d+$", kafka["image"])
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    for key in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
        "KAFKA_DEFAULT_REPLICATION_FACTOR",
    ):
        assert env[key] == "1", key
    # CLUSTER_ID must be a base64url-encoded UUID (what kafka-storage.sh random-uuid prints).
    cluster_id = env["CLUSTER_ID"]
    raw_id = base64.urlsafe_b64decode(cluster_id + "==")
    assert len(raw_id) == 16
    assert uuid.UUID(bytes=raw_id) != uuid.UUID(int=0)
    assert base64.urlsafe_b64encode(raw_id).decode().rstrip("=") == cluster_id
    # The volume keeps the data where the broker writes it.
    assert any(v.endswith(f":{env['KAFKA_LOG_DIRS']}") for v in kafka["volumes"])


def _listeners(value: str) -> dict[str, tuple[str, int]]:
    result: dict[str, tuple[str, int]] = {}
    for item in value.split(","):
        name, _, address = item.partition("://")
        host, _, port = address.rpartition(":")
        result[name] = (host, int(port))
    return result


def test_kafka_listeners_serve_the_containers_and_the_host(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    env = environment_of(services["kafka"])
    protocols = dict(
        item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    listeners = _listeners(env["KAFKA_LISTENERS"])
    advertised = _listeners(env["KAFKA_ADVERTISED_LISTENERS"])
    controller = env["KAFKA_CONTROLLER_LISTENER_NAMES"]

    assert set(listeners) <= set(protocols)
    assert controller in listeners
    assert controller not in advertised
    assert set(advertised) <= set(listeners)
    for name, (_, port) in advertised.items():
        assert listeners[name][1] == port, f"{name} is advertised on another port than it binds"
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] in advertised
    voter_id, _, voter = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].partition("@")
    assert voter_id == env["KAFKA_NODE_ID"]
    assert int(voter.rpartition(":")[2]) == listeners[controller][1]

    # Containers reach the broker on the listener advertised under its service name...
    inside = {f"{host}:{port}" for host, port in advertised.values() if host == "kafka"}
    for name, service in services.items():
        bootstrap = environment_of(service).get("KAFKA_BOOTSTRAP_SERVERS")
        if bootstrap is not None:
            assert bootstrap in inside, f"{name}: {bootstrap} is not an advertised listener"
    # ...and the host on the one advertised as localhost, published on the same port.
    outside = [port for host, port in advertised.values() if host in ("localhost", "127.0.0.1")]
    assert outside, "no listener for clients on the host"
    assert f"{outside[0]}:{outside[0]}" in services["kafka"]["ports"]
    # The health check asks a listener that answers inside the container.
    check = services["kafka"]["healthcheck"]["test"]
    assert check[check.index("--bootstrap-server") + 1] in {
        f"localhost:{port}" for _, port in listeners.values()
    }


def test_notifications_send_to_mailpit(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    env = environment_of(services["notifications"])
    assert env["SMTP_HOST"] == "mailpit"
    assert services[env["SMTP_HOST"]]["image"].startswith("axllent/mailpit:")
    assert env["SMTP_PORT"] == "1025"


# ---------------------------------------------------------------------------------------------
# Dockerfiles and the build context


def test_services_build_from_their_own_dockerfile(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    for name in SERVICES:
        build = services[name]["build"]
        assert (COMPOSE_FILE.parent / build["context"]).resolve() == REPO_ROOT, name
        assert (REPO_ROOT / build["context"] / build["dockerfile"]).resolve() == (
            dockerfile_of(name).resolve()
        )
        assert dockerfile_of(name).is_file()


@pytest.mark.parametrize("name", SERVICES)
def test_dockerfile(name: str) -> None:
    instructions = dockerfile_instructions(dockerfile_of(name))
    froms = instruction(instructions, "FROM")
    assert froms, "no FROM"
    assert all(line.split()[0] == "python:3.11-slim" for line in froms)

    # The CMD runs the service's own console script, which its package declares.
    (cmd,) = instruction(instructions, "CMD")
    assert exec_form(cmd) == [f"aihub-{name}", "serve"]
    assert f"aihub-{name}" in script_names(REPO_ROOT / "services" / name / "pyproject.toml")

    # Runs as a non-root user (the last USER of the final stage).
    final = instructions[max(i for i, (key, _) in enumerate(instructions) if key == "FROM") :]
    users = instruction(final, "USER")
    assert users, "the final stage runs as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert instruction(final, "EXPOSE") == [str(CONTAINER_PORT)]

    # HEALTHCHECK: the shared probe on liveness.
    (check,) = instruction(final, "HEALTHCHECK")
    probe = exec_form(check[check.index("CMD") + len("CMD") :].strip())
    assert probe == ["python", HEALTHCHECK_IN_IMAGE, "/health/live"]
    assert f"{HEALTHCHECK_SCRIPT.relative_to(REPO_ROOT)} {HEALTHCHECK_IN_IMAGE}" in (
        instruction(final, "COPY")
    )

    # Installs shared/ then the service, not editable.
    installs = [line for line in instruction(instructions, "RUN") if "pip install" in line]
    assert installs == ["pip install ./shared", f"pip install ./services/{name}"]
    for line in instruction(instructions, "COPY"):
        if line.startswith("--from="):
            continue
        source = line.split()[0]
        assert (REPO_ROOT / source).exists(), f"COPY {source}: not in the build context"


def test_dockerfiles_share_one_structure() -> None:
    """Identical but for the service name, so a fix to one is made to all."""
    texts = {
        name: dockerfile_of(name).read_text(encoding="utf-8").replace(name, "<service>")
        for name in SERVICES
    }
    reference = texts[SERVICES[0]]
    for name, text in texts.items():
        assert text == reference, f"services/{name}/Dockerfile departs from the common structure"


def test_dockerignore_keeps_local_state_out_of_the_build_context() -> None:
    patterns = {
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for required in (".git", ".venv", ".state", "**/__pycache__", ".mypy_cache", "**/*.egg-info"):
        assert required in patterns, required
    # Nothing the Dockerfiles copy is ignored (no re-include patterns are used).
    assert not any(p.startswith("!") for p in patterns)
    for copied in ("shared", "services", "deploy", "deploy/docker", "deploy/docker/healthcheck.py"):
        assert copied not in patterns, copied


# ---------------------------------------------------------------------------------------------
# The health probe itself, against a real HTTP server


class _HealthHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = {"/health/live": 200, "/health/ready": 503}.get(self.path, 404)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HealthHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _probe(path: str, port: int) -> int:
    result = subprocess.run(
        [sys.executable, str(HEALTHCHECK_SCRIPT), path],
        env={"HTTP_PORT": str(port)},
        capture_output=True,
        timeout=30,
        check=False,
    )
    return result.returncode


def test_health_probe_follows_the_service_answer(health_server: int) -> None:
    assert _probe("/health/live", health_server) == 0
    assert _probe("/health/ready", health_server) == 1  # 503: not ready
    assert _probe("/nowhere", health_server) == 1


def test_health_probe_fails_when_nothing_listens() -> None:
    # A port just bound and released: nothing listens there.
    with http.server.HTTPServer(("127.0.0.1", 0), _HealthHandler) as spare:
        port = spare.server_address[1]
    assert _probe("/health/live", port) == 1
