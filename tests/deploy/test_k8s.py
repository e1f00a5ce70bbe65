"""deploy/k8s: the manifests give each service what its Settings need, and probes it answers.

No cluster runs here; like the compose test, this checks the manifests against the code.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
import yaml

from aihub_console.settings import ConsoleSettings
from aihub_shared.kafka_access.cli import password_variable
from aihub_shared.kafka_access.table import PRINCIPALS, TEST
from aihub_shared.runtime.settings import ServiceSettings
from tests.deploy.support import settings_class, settings_env

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
SERVICES = ("applications", "programs", "notifications")
#: Job name -> the package whose Settings its command reads (None: reads only what it is given).
JOBS = {"kafka-access": None, "topic-init": None, "programs-seed": "programs"}


def documents(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]


def kustomization() -> dict[str, Any]:
    (doc,) = documents("kustomization.yaml")
    return doc


def applied_objects() -> list[dict[str, Any]]:
    return [doc for name in kustomization()["resources"] for doc in documents(name)]


def find(kind: str, name: str) -> dict[str, Any]:
    (match,) = [o for o in applied_objects() if o["kind"] == kind and o["metadata"]["name"] == name]
    return match


def config_map() -> dict[str, str]:
    data: dict[str, str] = find("ConfigMap", "aihub-config")["data"]
    return data


def example_secret() -> dict[str, str]:
    (secret,) = documents("secret.example.yaml")
    data: dict[str, str] = secret["stringData"]
    return data


def container_env(container: dict[str, Any]) -> set[str]:
    """Every variable the container gets: envFrom the ConfigMap plus explicit env entries."""
    names = {entry["name"] for entry in container.get("env", [])}
    for source in container.get("envFrom", []):
        assert source["configMapRef"]["name"] == "aihub-config"
        names |= set(config_map())
    return names


def only_container(workload: dict[str, Any]) -> dict[str, Any]:
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    assert isinstance(container, dict)
    return container


def test_every_resource_exists_and_the_secret_is_never_applied() -> None:
    for name in kustomization()["resources"]:
        assert (K8S / name).is_file(), name
    assert "secret.example.yaml" not in kustomization()["resources"]
    assert {o["kind"] for o in applied_objects()} >= {
        "Namespace",
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "Job",
    }


@pytest.mark.parametrize("workload", [*SERVICES, *JOBS])
def test_references_point_at_keys_that_exist(workload: str) -> None:
    kind = "Deployment" if workload in SERVICES else "Job"
    for entry in only_container(find(kind, workload)).get("env", []):
        source = entry.get("valueFrom", {})
        if "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            assert ref["name"] == "aihub-secrets"
            assert ref["key"] in example_secret(), f"{workload}: {ref['key']}"
        elif "configMapKeyRef" in source:
            assert source["configMapKeyRef"]["key"] in config_map()


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_gets_every_required_setting_and_nothing_it_ignores(service: str) -> None:
    readable = settings_env(settings_class(service))
    env = container_env(only_container(find("Deployment", service)))
    missing = {name for name, required in readable.items() if required} - env
    assert missing == set(), f"{service} lacks {missing}"
    # The ConfigMap is shared, so only the service's own env entries must all be read by it.
    own = {e["name"] for e in only_container(find("Deployment", service)).get("env", [])}
    assert own - set(readable) == set(), f"{service} is given variables it never reads"


def test_the_shared_config_is_read_by_some_service() -> None:
    readable = set().union(*(settings_env(settings_class(s)) for s in SERVICES))
    readable |= set(settings_env(ConsoleSettings))
    assert set(config_map()) - readable == set()


@pytest.mark.parametrize("service", SERVICES)
def test_probes_commands_and_shutdown_fit_the_service(service: str) -> None:
    deployment = find("Deployment", service)
    pod = deployment["spec"]["template"]["spec"]
    container = only_container(deployment)
    assert container["command"] == [f"aihub-{service}", "serve"]
    assert entry_points(group="console_scripts", name=f"aihub-{service}")
    assert container["image"] == f"aihub/{service}"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    port = int(config_map()["HTTP_PORT"])
    assert container["ports"][0]["containerPort"] == port
    grace = ServiceSettings.model_fields["shutdown_grace_seconds"].default
    assert pod["terminationGracePeriodSeconds"] > grace
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    labels = deployment["spec"]["selector"]["matchLabels"]
    assert find("Service", service)["spec"]["selector"] == labels
    assert find("PodDisruptionBudget", service)["spec"]["selector"]["matchLabels"] == labels


@pytest.mark.parametrize("job", sorted(JOBS))
def test_jobs_run_their_command_with_what_it_needs(job: str) -> None:
    container = only_container(find("Job", job))
    script = container["command"][0]
    assert entry_points(group="console_scripts", name=script), script
    package = JOBS[job]
    if package is not None:
        readable = settings_env(settings_class(package))
        missing = {n for n, required in readable.items() if required} - container_env(container)
        assert missing == set(), f"{job} lacks {missing}"


def test_images_are_pinned_by_kustomize() -> None:
    pinned = {image["name"] for image in kustomization()["images"]}
    used = {
        only_container(o)["image"] for o in applied_objects() if o["kind"] in {"Deployment", "Job"}
    }
    assert used <= pinned


def test_every_workload_logs_in_to_kafka_as_its_own_principal() -> None:
    logins = {
        name: only_container(find(kind, name))
        for kind, name in [
            *(("Deployment", s) for s in SERVICES),
            ("Job", "topic-init"),
            ("Job", "programs-seed"),
        ]
    }
    expected = {**{s: s for s in SERVICES}, "topic-init": "ops", "programs-seed": "programs"}
    for name, container in logins.items():
        env = {e["name"]: e for e in container["env"]}
        assert env["KAFKA_USERNAME"]["value"] == expected[name], name
        key = env["KAFKA_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"]
        assert key == password_variable(expected[name]), name
    assert config_map()["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"


def test_the_kafka_access_job_applies_the_table_as_the_admin() -> None:
    container = only_container(find("Job", "kafka-access"))
    assert container["command"] == ["aihub-kafka-access", "apply"]
    env = {e["name"] for e in container["env"]}
    wanted = {password_variable(p.name) for p in PRINCIPALS if p is not TEST}
    assert env == {"KAFKA_USERNAME", "KAFKA_PASSWORD"} | wanted
