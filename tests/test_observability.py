"""deploy/observability: the alert rules pass promtool and their unit tests, the example scrape
configurations are sound, and every metric a rule or a dashboard panel names is one this
process exposes once the apps are loaded (so a renamed metric cannot silently blind an alert)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.core import Metric
from prometheus_client.parser import text_string_to_metric_families

OBSERVABILITY = Path(__file__).resolve().parent.parent / "deploy" / "observability"
RULES = OBSERVABILITY / "alerts.yml"
DASHBOARD = OBSERVABILITY / "grafana-dashboard.json"
# Our metrics and django-prometheus': names in an expression that are neither functions nor labels.
METRIC_NAME = re.compile(r"\b(?:coredict|django)_[a-z0-9_]+\b")
# The samples a family exposes, by type (a counter "x" is scraped as x_total, a histogram as x_bucket...).
SAMPLE_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("_count", "_sum", "_created"),
    "gauge": ("",),
    "info": ("_info",),
}


def promtool(*args: str) -> subprocess.CompletedProcess:
    binary = shutil.which("promtool")
    assert binary, "promtool is missing: .ci/run installs it (Debian's prometheus package)"
    return subprocess.run([binary, *args], cwd=OBSERVABILITY, capture_output=True, text=True, timeout=60)


def test_the_alert_rules_are_valid() -> None:
    result = promtool("check", "rules", RULES.name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alerts_fire_and_stay_quiet_as_their_unit_tests_say() -> None:
    result = promtool("test", "rules", "alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_scrape_configuration_is_valid() -> None:
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def rules() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def test_every_alert_waits_and_says_what_is_wrong() -> None:
    alerts = rules()
    assert {
        "CoreDictHttpErrorRatioHigh",
        "CoreDictGrpcErrorRatioHigh",
        "CoreDictHttpLatencyP99High",
        "CoreDictGrpcLatencyP99High",
        "CoreDictConnectBreakerOpen",
        "CoreDictOutboxLagHigh",
        "CoreDictClaimDeadlinesAtRisk",
        "CoreDictMedAnalysisOverdue",
        "CoreDictRedriveBacklog",
        "CoreDictSyncUnverified",
        "CoreDictSyncLeftForStaff",
    } <= {rule["alert"] for rule in alerts}
    for rule in alerts:
        assert rule.get("for"), rule["alert"]
        assert rule.get("annotations", {}).get("summary"), rule["alert"]


def test_kubernetes_discovery_scrapes_each_annotated_pod_under_its_component_job() -> None:
    """Debian's promtool has no Kubernetes discovery: the parts that matter, checked here."""
    (job,) = yaml.safe_load((OBSERVABILITY / "prometheus-kubernetes.yml").read_text())["scrape_configs"]
    assert job["kubernetes_sd_configs"] == [{"role": "pod", "namespaces": {"names": ["core-dict"]}}]
    targets = {rule.get("target_label"): rule for rule in job["relabel_configs"]}
    assert targets["job"]["replacement"] == "core-dict-$1"
    assert {"__metrics_path__", "__address__"} <= set(targets)
    kept = {tuple(rule["source_labels"]) for rule in job["relabel_configs"] if rule.get("action") == "keep"}
    assert ("__meta_kubernetes_pod_annotation_prometheus_io_scrape",) in kept


def dashboard_expressions() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel.get("targets", [])]


def test_the_dashboard_has_panels_for_each_part() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    rows = {panel["title"] for panel in dashboard["panels"] if panel["type"] == "row"}
    assert rows == {
        "REST (web)",
        "gRPC (CoreDictService)",
        "Keys, claims, lookups",
        "Directory (Connect)",
        "Outbox (domain events to Pulsar)",
    }
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert all(panel["targets"] for panel in dashboard["panels"] if panel["type"] != "row")


def exposed_sample_names(families: list[Metric]) -> set[str]:
    return {family.name + suffix for family in families for suffix in SAMPLE_SUFFIXES.get(family.type, ("",))}


@pytest.mark.django_db
def test_every_metric_a_rule_or_a_panel_names_is_exposed(client) -> None:
    """What the web's /metrics shows once the apps are loaded and a request was served, with the gRPC server's
    metrics (grpcserver's port; serve's web shows them too) and the outbox's, which events.apps registers
    wherever the relay is configured (PULSAR_URL, unset in the tests)."""
    import common.grpc_interceptors  # noqa: F401
    from events.metrics import read_outbox

    exposition = client.get("/metrics").content.decode()
    families = [*text_string_to_metric_families(exposition), *read_outbox()]
    exposed = exposed_sample_names(families)
    expressions = [rule["expr"] for rule in rules()] + dashboard_expressions()
    named = {name for expr in expressions for name in METRIC_NAME.findall(expr)}
    assert len(named) > 20
    assert sorted(named - exposed) == []
