"""A tiny soak (`python -m bench soak`): it holds its idle sockets, churns rooms, samples the
server and writes its figures; and it does count error frames when there are some."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from bench.churn import Churn, one_room
from bench.loadgen import Generator
from bench.soak_readings import drift
from tests.loopback import REPO_ROOT, signaling_server


def test_a_short_soak_holds_churns_and_reports(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench", "soak", "--minutes", "0.25", "--idle", "100"]
        + ["--rooms-per-second", "10", "--sample-every", "3", "--empty-room-ttl", "2"]
        + ["--out", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "unexpected error frames: none" in run.stdout
    result = json.loads((tmp_path / "soak.json").read_text())
    assert result["benchmark"] == "soak"
    assert result["idle"] == {"held": 100, "connect_errors": 0, "connections_at_end": 100}
    churn = result["churn"]
    assert churn["rooms_completed"] > 0 and churn["failures"] == {}
    assert result["server_metrics_read"] and result["unexpected_errors"] == {}
    assert result["server_error_frames"] == {}
    assert len(result["samples"]) >= 4
    assert all(s["rss_kib"] > 0 and s["open_fds"] >= 100 for s in result["samples"])
    assert set(result["drift"]) == {"from_s", "to_s", "samples", "rss_kib", "open_fds"}


def test_error_frames_are_counted(tmp_path: Path) -> None:
    # A server where only hosts may create: the churn's `create` is refused with an error.
    env = {"VISAVIS_ACCESS": "hosts", "VISAVIS_STATE_DIR": str(tmp_path)}
    with signaling_server(tmp_path, env=env) as server:
        churn = Churn()
        asyncio.run(one_room(Generator(server.ws_url), churn))
    assert churn.error_frames == {"hosts-only": 1}
    assert churn.completed == 0 and sum(churn.failures.values()) == 1


def test_drift_is_the_change_and_slope_over_the_steady_part() -> None:
    samples = [
        {"t": t, "rss_kib": 1000 + (500 if t < 60 else 2 * t), "open_fds": 50}
        for t in range(0, 301, 30)
    ]
    found = drift(samples, steady_from=60)
    assert found["from_s"] == 60 and found["samples"] == 9
    assert found["rss_kib"]["change"] == 2 * 300 - 2 * 60
    assert found["rss_kib"]["per_minute"] == 120.0  # 2 KiB a second
    assert found["open_fds"] == {"first": 50, "last": 50, "change": 0, "per_minute": 0.0}
