"""Every series the alerting rules and the Grafana dashboard read is one that is really
exported: by `python -m signaling` (read from a running server with Redis and a checked
certificate, so every optional series is there), by Debian's node exporter (run here), by
Prometheus itself or coturn (named below), or by the rules' own recording rules."""

from __future__ import annotations

import json
import ssl
import time
import urllib.request
from collections.abc import Iterator

import pytest
import yaml

from tests.loopback import REPO_ROOT, free_port, make_certificate, redis_server, signaling_server
from tests.monitoring.prometheus import node_exporter_metrics
from tests.monitoring.promql import exported_names, metric_names

MONITORING = REPO_ROOT / "infra" / "monitoring"
TOKEN = "metrics-token-for-the-test"
# Series from elsewhere, and where they come from (docs/operating.md, "Monitoring").
EXTERNAL = {
    "up": "Prometheus, for every target",
    # coturn's src/apps/relay/prom_server.c; Debian's and Ubuntu's builds have no exporter.
    "turn_total_allocations": "coturn built with Prometheus",
}


def _rules() -> list[dict]:
    groups = yaml.safe_load((MONITORING / "visavis-alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _dashboard_queries() -> list[str]:
    dashboard = json.loads((MONITORING / "visavis-dashboard.json").read_text())
    queries = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    # Grafana's label_values(<selector>, label) holds a PromQL selector.
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            queries.append(variable["definition"].removeprefix("label_values(").rsplit(",", 1)[0])
    return queries


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[set[str]]:
    workdir = tmp_path_factory.mktemp("exported")
    tls = make_certificate(workdir / "tls")
    port = free_port()
    env = {
        "VISAVIS_METRICS_TOKEN": TOKEN,
        "VISAVIS_CERTIFICATE_ENDPOINTS": f"127.0.0.1:{port}",
    }
    unverified = ssl.create_default_context()
    unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE
    request = urllib.request.Request(
        f"https://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with (
        redis_server(workdir) as redis,
        signaling_server(workdir, tls=tls, env=env, broker=redis.url, port=port),
        node_exporter_metrics(workdir) as node_exposition,
    ):
        exposition = ""
        for _ in range(100):  # the certificate check runs a second after the start
            with urllib.request.urlopen(request, timeout=5, context=unverified) as reply:
                exposition = reply.read().decode()
            if "visavis_certificate_expiry_timestamp_seconds{" in exposition:
                break
            time.sleep(0.1)
        yield exported_names(exposition) | exported_names(node_exposition)


def test_the_name_reader_finds_series_and_skips_the_rest() -> None:
    expr = (
        'sum by (job, instance) (rate(foo_total{outcome!~"a|b", x="y z"}[5m])) * 8'
        " > on (instance) group_left 0.8 * scalar(level:bar:rate5m) and baz offset 5m"
        ' or absent(up{job="v"}) - time() < 14 * 86400 and q{i=~"$instance"} > 1e6'
    )
    assert metric_names(expr) == {"foo_total", "level:bar:rate5m", "baz", "up", "q"}


def test_the_exporters_export_what_the_docs_list(exported: set[str]) -> None:
    for name in (
        "visavis_connections",
        "visavis_joins_total",
        "visavis_broker_up",
        "visavis_certificate_expiry_timestamp_seconds",
        "visavis_certificate_check_success",
        "process_open_fds",
        "node_network_transmit_bytes_total",  # from the node exporter
    ):
        assert name in exported


def test_every_series_a_rule_reads_is_exported(exported: set[str]) -> None:
    recorded = {rule["record"] for rule in _rules() if "record" in rule}
    read = set().union(*(metric_names(rule["expr"]) for rule in _rules()))
    assert read - exported - recorded - set(EXTERNAL) == set()
    assert {"visavis_broker_up", "up", "turn_total_allocations"} <= read


def test_every_series_the_dashboard_reads_is_exported(exported: set[str]) -> None:
    recorded = {rule["record"] for rule in _rules() if "record" in rule}
    read = set().union(*(metric_names(query) for query in _dashboard_queries()))
    assert read - exported - recorded - set(EXTERNAL) == set()


def test_a_misspelt_series_would_be_caught(exported: set[str]) -> None:
    read = metric_names('rate(visavis_join_total{job="visavis"}[5m])')
    assert read - exported == {"visavis_join_total"}


def test_the_dashboard_shows_every_visavis_series(exported: set[str]) -> None:
    shown = set().union(*(metric_names(query) for query in _dashboard_queries()))
    ours = {name for name in exported if name.startswith("visavis_")}
    ours -= {name for name in ours if name.endswith("_created")}  # counters' start times
    assert ours - shown == set()


def test_the_dashboard_is_a_grafana_model() -> None:
    dashboard = json.loads((MONITORING / "visavis-dashboard.json").read_text())
    assert dashboard["uid"] and dashboard["schemaVersion"] >= 36
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            assert target["expr"] and target["refId"]
            assert target["datasource"]["uid"] == "${datasource}"
