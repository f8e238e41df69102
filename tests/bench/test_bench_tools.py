"""A tiny run of every bench tool: they work and write well-formed results (no timings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("bench-results")
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "| measure | figure | target |" in run.stdout
    return {path.stem: json.loads(path.read_text()) for path in out.glob("*.json")}


def check_header(document: dict, name: str) -> None:
    assert document["benchmark"] == name
    assert document["date"] and document["commit"] is not None
    assert document["machine"]["cores"] >= 1
    assert "bench" in document["command"]


def test_every_tool_wrote_its_results(results) -> None:
    assert sorted(results) == ["call-setup", "capacity", "client-weight"]
    for name, document in results.items():
        check_header(document, name)


def test_call_setup_times_a_direct_and_a_relayed_call(results) -> None:
    setup = results["call-setup"]
    for mode, path in (("direct", "host"), ("relay", "relay")):
        part = setup[mode]
        assert part["calls"] == 1, part["first_failures"]
        call = part["each"][0]
        assert 0 < call["guest_page_loaded_ms"] <= call["setup_ms"]
        assert call["setup_ms"] == pytest.approx(
            max(call["guest_first_frame_ms"], call["host_first_frame_ms"]), abs=0.2
        )
        assert call["path"]["local"] == path
        assert set(part["setup_ms"]) == {"count", "median", "p90", "min", "max"}


def test_capacity_holds_rooms_and_relays_every_frame(results) -> None:
    capacity = results["capacity"]
    (memory,) = capacity["memory"]
    assert memory["connections"] == 20 and memory["connect_errors"] == 0
    assert memory["server_rss_kib"] > 0
    (rate,) = capacity["rates"]
    assert rate["sent"] > 0 and rate["recorded"] > 0
    assert 0 < rate["delivered"] <= rate["recorded"]
    assert rate["lost_or_late"] == rate["recorded"] - rate["delivered"]
    latency = rate["latency_ms"]
    assert 0 < latency["p50"] <= latency["p99"] <= latency["max"]
    assert rate["server_cpu_seconds"] >= 0 and rate["generator_cpu_seconds"] > 0
    assert capacity["generator"]["cpu_seconds_total"] > 0


def test_client_weight_counts_the_home_page(results) -> None:
    weight = results["client-weight"]
    paths = {request["path"] for request in weight["each"]}
    assert {"/", "/css/app.css", "/js/main.js"} <= paths
    assert all(request["status"] == 200 for request in weight["each"])
    assert weight["requests"] == len(weight["each"])
    assert 0 < weight["html_js_css_gzip9_bytes"] < weight["html_js_css_bytes"]
