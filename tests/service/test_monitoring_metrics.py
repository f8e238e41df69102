"""The series the alerting rules need beyond the counters: Redis reachability, certificate
expiry, the process' memory and descriptors — read from `python -m signaling`'s /metrics."""

from __future__ import annotations

import datetime
import re
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.loopback import coturn, free_port, make_certificate, redis_server, signaling_server

TOKEN = "metrics-token-for-the-test"
# The test server's own self-signed certificate.
UNVERIFIED = ssl.create_default_context()
UNVERIFIED.check_hostname = False
UNVERIFIED.verify_mode = ssl.CERT_NONE


def _metrics(url: str) -> str:
    request = urllib.request.Request(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=5, context=UNVERIFIED) as response:
        return response.read().decode()


def _value(exposition: str, series: str) -> float | None:
    """The value of one series written exactly as exported (`name{label="..."}`), or None."""
    match = re.search(rf"^{re.escape(series)} (\S+)$", exposition, re.MULTILINE)
    return float(match.group(1)) if match else None


def _poll(url: str, series: str, wanted: float, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while _value(exposition := _metrics(url), series) != wanted:
        assert time.monotonic() < deadline, f"{series} never became {wanted}:\n{exposition}"
        time.sleep(0.1)
    return exposition


def _not_after(certificate: Path) -> float:
    """The certificate's notAfter as openssl itself reads it, in Unix seconds."""
    line = subprocess.run(
        ["openssl", "x509", "-noout", "-enddate", "-in", str(certificate)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    when = datetime.datetime.strptime(line.removeprefix("notAfter="), "%b %d %H:%M:%S %Y %Z")
    return when.replace(tzinfo=datetime.UTC).timestamp()


def test_certificate_expiry_of_each_endpoint_and_a_failed_check(tmp_path: Path) -> None:
    tls = make_certificate(tmp_path / "tls")
    port, closed = free_port(), free_port()
    env = {
        "VISAVIS_METRICS_TOKEN": TOKEN,
        # The server's own TLS port (positive control) and a port nobody listens on.
        "VISAVIS_CERTIFICATE_ENDPOINTS": f"127.0.0.1:{port},127.0.0.1:{closed}",
    }
    with signaling_server(tmp_path, tls=tls, env=env, port=port) as server:
        own = f'endpoint="127.0.0.1:{port}"'
        exposition = _poll(server.url, f"visavis_certificate_check_success{{{own}}}", 1.0)
        expiry = _value(exposition, f"visavis_certificate_expiry_timestamp_seconds{{{own}}}")
        assert expiry == _not_after(tls[0])
        gone = f'endpoint="127.0.0.1:{closed}"'
        exposition = _poll(server.url, f"visavis_certificate_check_success{{{gone}}}", 0.0)
        assert _value(exposition, f"visavis_certificate_expiry_timestamp_seconds{{{gone}}}") is None


def test_a_malformed_endpoint_stops_the_start(tmp_path: Path) -> None:
    env = {"VISAVIS_CERTIFICATE_ENDPOINTS": "call.example.org"}  # no port
    with (
        pytest.raises(RuntimeError, match="VISAVIS_CERTIFICATE_ENDPOINTS.*host:port"),
        signaling_server(tmp_path, env=env),
    ):
        pass


def test_broker_up_follows_redis_and_is_absent_without_it(tmp_path: Path) -> None:
    env = {"VISAVIS_METRICS_TOKEN": TOKEN}
    with signaling_server(tmp_path, env=env) as server:
        exposition = _metrics(server.url)
        assert "visavis_connections " in exposition  # a real exposition (positive control)
        assert "visavis_broker_up" not in exposition
    with (
        redis_server(tmp_path) as redis,
        signaling_server(tmp_path, env=env, broker=redis.url) as server,
    ):
        _poll(server.url, "visavis_broker_up", 1.0)
        redis.process.kill()
        _poll(server.url, "visavis_broker_up", 0.0)


def test_process_memory_and_descriptors_are_exported(tmp_path: Path) -> None:
    with signaling_server(tmp_path, env={"VISAVIS_METRICS_TOKEN": TOKEN}) as server:
        exposition = _metrics(server.url)
        assert _value(exposition, "process_resident_memory_bytes") > 10 * 1024 * 1024
        assert _value(exposition, "process_open_fds") >= 3


def test_turn_allocation_checks_a_relay_sharing_the_secret_and_one_that_does_not(
    tmp_path: Path,
) -> None:
    with (
        coturn(tmp_path, secret="the-shared-secret") as (shared, secret),
        coturn(tmp_path, secret="another-secret") as (stranger, _),
    ):
        good = f"turn:127.0.0.1:{shared}?transport=udp"
        bad = f"turn:127.0.0.1:{stranger}"
        env = {
            "VISAVIS_METRICS_TOKEN": TOKEN,
            "VISAVIS_TURN_SECRET": secret,
            "VISAVIS_TURN_URLS": f"{good},{bad},turns:127.0.0.1:5349?transport=tcp",
            "VISAVIS_TURN_CHECK": "true",
            "VISAVIS_TURN_CHECK_INTERVAL": "1",
        }
        with signaling_server(tmp_path, env=env) as server:
            _poll(server.url, f'visavis_turn_allocation_success{{url="{good}"}}', 1.0)
            _poll(server.url, f'visavis_turn_allocation_success{{url="{bad}"}}', 0.0)
            # Refused for the secret (a check may also time out on a busy machine: no-answer).
            refused = f'visavis_turn_allocation_refusals_total{{reason="401",url="{bad}"}}'
            deadline = time.monotonic() + 30
            while _value(exposition := _metrics(server.url), refused) is None:
                assert time.monotonic() < deadline, exposition
                time.sleep(0.2)
            assert f'reason="401",url="{good}"' not in exposition
            assert "turns:" not in exposition  # only UDP turn: URLs are checked
