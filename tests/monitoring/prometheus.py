"""Debian's Prometheus and node exporter on loopback for the tests, and the readings of
Prometheus' HTTP API."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.loopback import free_port, stop_process

START_TIMEOUT = 30.0  # seconds until /-/ready


@dataclass
class Prometheus:
    process: subprocess.Popen
    url: str  # http://127.0.0.1:PORT
    log: Path

    def api(self, path: str, **params: str) -> Any:
        """The `data` of GET /api/v1/<path>; AssertionError if the status is not success."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}{query}", timeout=10) as reply:
            body = json.load(reply)
        assert body["status"] == "success", body
        return body["data"]

    def wait_for(self, what: str, test, timeout: float = 30.0) -> Any:
        """Poll `test()` every 0.2 s until it returns something true, and return that;
        AssertionError naming `what` (and the log's tail) after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not (found := test()):
            assert time.monotonic() < deadline, f"{what}: not within {timeout} s\n{self.tail()}"
            time.sleep(0.2)
        return found

    def tail(self) -> str:
        return self.log.read_text()[-3000:]


@contextmanager
def prometheus(workdir: Path, config: dict[str, Any]) -> Iterator[Prometheus]:
    """`prometheus` with `config` (prometheus.yml as a dict) on a free loopback port, its
    data in `workdir`; stopped on leaving. RuntimeError if it is not ready within
    START_TIMEOUT seconds."""
    config_file = workdir / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(config))
    port = free_port()
    log = workdir / "prometheus.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={config_file}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Prometheus(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_until_ready(server)
        yield server
    finally:
        stop_process(process)


def _wait_until_ready(server: Prometheus) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"prometheus exited with {server.process.returncode}:\n{server.tail()}"
            )
        try:
            with urllib.request.urlopen(f"{server.url}/-/ready", timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"prometheus not ready in {START_TIMEOUT} s:\n{server.tail()}")


@contextmanager
def node_exporter_metrics(workdir: Path) -> Iterator[str]:
    """The text /metrics of `prometheus-node-exporter` (its network device collector only),
    run on a free loopback port and stopped on leaving."""
    port = free_port()
    log = workdir / "node-exporter.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                "prometheus-node-exporter",
                f"--web.listen-address=127.0.0.1:{port}",
                "--collector.disable-defaults",
                "--collector.netdev",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        text = None
        while text is None:
            assert process.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1) as r:
                    text = r.read().decode()
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield text
    finally:
        stop_process(process)
