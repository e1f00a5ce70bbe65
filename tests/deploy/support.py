"""What the deploy tests share: the compose file as the Compose CLI resolves it, the settings and
console commands the containers run, and the Dockerfiles read instruction by instruction.

No Docker engine runs here. Compose itself (``docker-compose``, the Debian package that
``./dev bootstrap`` installs from ``deploy/apt-packages.txt``, and ``docker compose`` too when the
v2 plugin is there) validates the file and resolves its ``${VAR:-default}`` variables; the tests
read its resolved output rather than interpolating the file themselves.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import tempfile
import tomllib
from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic_settings import BaseSettings

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
#: Containers that run a service package's code which reads that package's `Settings`.
SETTINGS_OF = {
    "applications": "applications",
    "programs": "programs",
    "notifications": "notifications",
    "programs-seed": "programs",
}
ONE_SHOTS = ("kafka-access", "topic-init", "programs-seed")


# ---------------------------------------------------------------------------------------------
# The Compose CLI


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


def run_compose_config(
    cli: list[str], compose_file: Path, *, quiet: bool = True
) -> subprocess.CompletedProcess[str]:
    """`<cli> config`: validates the file; without `quiet`, prints it resolved on stdout."""
    # A clean environment: the defaults in the file must be enough, and nothing from the
    # developer's shell (COMPOSE_FILE, STAFF_API_TOKEN, DOCKER_HOST...) may leak in; an empty env
    # file keeps a developer's .env next to the compose file out too.
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(compose_file.parent)}
    with tempfile.TemporaryDirectory() as scratch:
        empty_env_file = Path(scratch) / "empty.env"
        empty_env_file.touch()
        argv = [*cli, "--env-file", str(empty_env_file), "-f", str(compose_file), "config"]
        return subprocess.run(
            [*argv, "-q"] if quiet else argv,
            capture_output=True,
            text=True,
            env=env,
            cwd=compose_file.parent,
            timeout=120,
            check=False,
        )


def load_yaml(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{path} is not a mapping"
    return document


# ---------------------------------------------------------------------------------------------
# Reading a compose document (as written, or as the CLI resolved it)


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


def ports_of(service: Mapping[str, Any]) -> list[str]:
    """Published ports as `HOST:CONTAINER` (the CLI prints the long form `published`/`target`)."""
    return [
        f"{port['published']}:{port['target']}" if isinstance(port, dict) else str(port)
        for port in service.get("ports", [])
    ]


def mounts_of(service: Mapping[str, Any]) -> dict[str, str]:
    """Volumes as {path in the container: source} (short `SOURCE:TARGET[:MODE]` or long form)."""
    mounts: dict[str, str] = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            mounts[volume["target"]] = volume["source"]
        else:
            source, target, *_mode = volume.split(":")
            mounts[target] = source
    return mounts


def health_check_disabled(service: Mapping[str, Any]) -> bool:
    """`healthcheck: {disable: true}`, which the CLI resolves to `test: [NONE]`."""
    check = service.get("healthcheck", {})
    return bool(check.get("disable")) or check.get("test") == ["NONE"]


# ---------------------------------------------------------------------------------------------
# What the containers run: Settings and console commands


def settings_class(package: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"aihub_{package}.settings")
    cls = module.Settings
    assert issubclass(cls, ServiceSettings)
    return cast(type[ServiceSettings], cls)


def settings_env(cls: type[BaseSettings]) -> dict[str, bool]:
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


# ---------------------------------------------------------------------------------------------
# Dockerfiles


def dockerfile_of(service: str) -> Path:
    return REPO_ROOT / "services" / service / "Dockerfile"


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
