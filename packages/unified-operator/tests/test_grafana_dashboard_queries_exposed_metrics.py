"""The Grafana dashboard in manifests/monitoring queries only what the operator exposes.

Covers: every PromQL expression of every panel and template variable names metrics that the registry the
operator serves (`composition.compose` plus the process collectors `training-operator run` adds) really
exposes, read from that registry rather than from a list kept by hand; the dashboard has the panels the
issue asks for (jobs by state, reconcile latency, queue depth, the API writes and every API request); the
ConfigMap generator names the file that exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from training_operator.unified import cli, composition, settings

MONITORING = Path(__file__).resolve().parents[3] / "manifests" / "monitoring"
DASHBOARD = json.loads((MONITORING / "grafana-dashboard.json").read_text())
#: PromQL words that are not metric names
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless"}
SUFFIXES = {
    "counter": ["_total"],
    "histogram": ["_bucket", "_sum", "_count"],
    "gauge": [""],
    "info": ["_info"],
}


def exposed() -> set[str]:
    """Every series name the operator's /metrics can carry, from its own registry."""
    registry = composition.compose(settings.parse(["--disable-webhooks"])).metrics.registry
    cli._process_collectors(registry)
    names = set()
    for family in registry.collect():
        names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, [""])}
        names |= {sample.name for sample in family.samples}
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers that are not functions, keywords, labels
    (in `{}` or `by (...)`), ranges or Grafana variables."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings first: they may hold anything
    text = re.sub(r"\$\w+", "", text)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    words = [m.group(1) for m in re.finditer(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?", text) if not m.group(2)]
    return {word for word in words if word not in KEYWORDS}


def expressions(node: Any) -> Iterator[tuple[str, str]]:
    """(where, PromQL) for every query in the dashboard: panel targets and template variables."""
    if isinstance(node, dict):
        if isinstance(node.get("expr"), str):
            yield str(node.get("refId", "")), node["expr"]
        if node.get("type") == "query" and isinstance(node.get("definition"), str):
            yield str(node.get("name")), re.sub(r"^label_values\((.*),\s*\w+\)$", r"\1", node["definition"])
        for value in node.values():
            yield from expressions(value)
    elif isinstance(node, list):
        for value in node:
            yield from expressions(value)


QUERIES = list(expressions(DASHBOARD))


def test_the_extractor_reads_promql_as_prometheus_does():
    expr = (
        'histogram_quantile(0.9, sum by (le, job) (rate(a_bucket{x="y{z}", w=~"$v"}[5m]))) / b_total '
        "and on (k) c * 2^30"
    )
    assert metric_names(expr) == {"a_bucket", "b_total", "c"}


@pytest.mark.parametrize(("where", "expr"), [pytest.param(w, e, id=f"{w}:{e[:40]}") for w, e in QUERIES])
def test_every_query_names_metrics_the_operator_exposes(where: str, expr: str):
    names = metric_names(expr)

    assert names, f"{where}: no metric in {expr!r}"
    assert names <= EXPOSED, f"{where}: {sorted(names - EXPOSED)} are not exposed by the operator"


def test_the_dashboard_covers_jobs_reconciles_queue_and_api():
    read = set().union(*(metric_names(expr) for _, expr in QUERIES))

    assert {f"training_operator_jobs_{s}_total" for s in ("created", "successful", "failed")} <= read
    assert "training_operator_reconcile_duration_seconds_bucket" in read
    assert "training_operator_workqueue_depth" in read
    assert {"created_pods_total", "succeeded_service_creation_total"} <= read  # the API writes it counts
    assert {  # every request of its own API client: by verb and resource, failures, latency
        "training_operator_api_requests_total",
        "rest_client_requests_total",
        "rest_client_request_duration_seconds_bucket",
    } <= read
    assert len({panel["id"] for panel in DASHBOARD["panels"]}) == len(DASHBOARD["panels"])


def test_the_configmap_generator_ships_the_dashboard():
    kustomization = yaml.safe_load((MONITORING / "kustomization.yaml").read_text())
    files = [f for generator in kustomization["configMapGenerator"] for f in generator["files"]]
    assert all((MONITORING / f).is_file() for f in files)
    assert kustomization["generatorOptions"]["labels"] == {"grafana_dashboard": "1"}


EXPOSED = exposed()
