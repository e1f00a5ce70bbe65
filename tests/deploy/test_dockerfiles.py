"""The service Dockerfiles and .dockerignore: each image builds from its own Dockerfile, installs
shared/ then its service, runs the service's console script as a non-root user and probes its
liveness with the shared health probe."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.support import (
    COMPOSE_FILE,
    CONTAINER_PORT,
    DOCKERIGNORE,
    HEALTHCHECK_IN_IMAGE,
    HEALTHCHECK_SCRIPT,
    REPO_ROOT,
    SERVICES,
    dockerfile_instructions,
    dockerfile_of,
    exec_form,
    instruction,
    script_names,
    services_of,
)


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
