"""A real Prometheus, configured from infra/monitoring/prometheus-scrape.example.yml with the
rules loaded, scrapes a real `python -m signaling` with the metrics token: the target is up,
every rule evaluates, the certificate alert goes pending for the test's 2-day certificate,
every dashboard query runs, and stopping the server makes VisavisSignalingDown pending."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.loopback import REPO_ROOT, Server, free_port, make_certificate, signaling_server
from tests.monitoring.prometheus import Prometheus, prometheus

MONITORING = REPO_ROOT / "infra" / "monitoring"
TOKEN = "metrics-token-for-the-test"


def _config(workdir: Path, target: str) -> dict[str, Any]:
    """The example scrape configuration, pointed at `target` and fast: the signaling job
    only (the others name hosts that do not exist here), over the test server's TLS."""
    config = yaml.safe_load((MONITORING / "prometheus-scrape.example.yml").read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(MONITORING / "visavis-alerts.yml")]
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "visavis"]
    token_file = workdir / "visavis-metrics-token"
    token_file.write_text(TOKEN + "\n")
    job["authorization"]["credentials_file"] = str(token_file)
    job["static_configs"] = [{"targets": [target]}]
    job["scheme"] = "https"
    job["tls_config"] = {"insecure_skip_verify": True}  # the test's self-signed certificate
    config["scrape_configs"] = [job]
    return config


def _alerts(server: Prometheus, name: str, state: str) -> list[dict]:
    return [
        alert
        for alert in server.api("alerts")["alerts"]
        if alert["labels"]["alertname"] == name and alert["state"] == state
    ]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Prometheus]]:
    workdir = tmp_path_factory.mktemp("prometheus")
    port = free_port()
    env = {
        "VISAVIS_METRICS_TOKEN": TOKEN,
        # Its own port: the test certificate (2 days) is well within the alert's 14.
        "VISAVIS_CERTIFICATE_ENDPOINTS": f"127.0.0.1:{port}",
    }
    tls = make_certificate(workdir / "tls")
    with (
        signaling_server(workdir, tls=tls, env=env, port=port) as server,
        prometheus(workdir, _config(workdir, f"127.0.0.1:{port}")) as monitor,
    ):
        yield server, monitor


def test_the_signaling_target_is_up(stack) -> None:
    _, monitor = stack

    def up() -> list[dict]:
        targets = monitor.api("targets")["activeTargets"]
        return [t for t in targets if t["health"] == "up" and t["labels"]["job"] == "visavis"]

    monitor.wait_for("the visavis target up", up)
    (sample,) = monitor.api("query", query='visavis_connections{job="visavis"}')["result"]
    assert float(sample["value"][1]) == 0


def test_every_rule_evaluates(stack) -> None:
    _, monitor = stack

    def evaluated() -> list[dict]:
        rules = [r for g in monitor.api("rules")["groups"] for r in g["rules"]]
        done = all(r["lastEvaluation"] > "1970-01-02" for r in rules)
        return rules if done else []

    rules = monitor.wait_for("every rule evaluated", evaluated)
    assert len(rules) == 14
    assert [r["name"] for r in rules if r["health"] != "ok"] == []


def test_the_certificate_alert_goes_pending_and_the_down_alert_stays_quiet(stack) -> None:
    _, monitor = stack
    (alert,) = monitor.wait_for(
        "VisavisCertificateExpiresSoon pending",
        lambda: _alerts(monitor, "VisavisCertificateExpiresSoon", "pending"),
    )
    assert alert["labels"]["endpoint"].startswith("127.0.0.1:")
    assert 0 < float(alert["value"]) < 2 * 86400
    assert _alerts(monitor, "VisavisSignalingDown", "pending") == []


def test_every_dashboard_query_runs(stack) -> None:
    _, monitor = stack
    dashboard = json.loads((MONITORING / "visavis-dashboard.json").read_text())
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            # Grafana puts the chosen instances in $instance; all of them here.
            query = target["expr"].replace("$instance", ".*")
            monitor.api("query", query=query)  # fails on a query Prometheus refuses
    days = monitor.api(
        "query", query='(visavis_certificate_expiry_timestamp_seconds{job="visavis"} - time())'
    )["result"]
    assert len(days) == 1


def test_a_stopped_server_makes_the_down_alert_pending(stack) -> None:
    server, monitor = stack
    server.process.terminate()
    server.process.wait(timeout=10)
    (alert,) = monitor.wait_for(
        "VisavisSignalingDown pending",
        lambda: _alerts(monitor, "VisavisSignalingDown", "pending"),
    )
    assert alert["labels"]["job"] == "visavis"
