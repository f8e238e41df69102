"""Throw-away servers on loopback that the tests and the bench start: the signaling
service as `python -m signaling` runs it, a self-signed certificate, and coturn."""

from __future__ import annotations

import os
import secrets
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.certs import self_signed

REPO_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) for https://localhost and https://127.0.0.1 in `folder`."""
    return self_signed(folder, "localhost", ["DNS:localhost", "IP:127.0.0.1"])


@dataclass
class Server:
    process: subprocess.Popen
    url: str  # http(s)://127.0.0.1:PORT
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def ws_url(self) -> str:
        return self.url.replace("http", "ws", 1) + "/ws"


@contextmanager
def signaling_server(
    workdir: Path,
    tls: tuple[Path, Path] | None = None,
    env: Mapping[str, str] | None = None,
    broker: str | None = None,
    server_dir: Path | None = None,
    port: int | None = None,
) -> Iterator[Server]:
    """`python -m signaling` on a free loopback port, as it runs in production.

    `server_dir` runs the package from another tree (a patched copy, to compare); `port`
    reuses a port (to restart a server in place) instead of picking a free one."""
    port = port or free_port()
    server_env = {k: v for k, v in os.environ.items() if not k.startswith("VISAVIS_")}
    server_env.update({"VISAVIS_HOST": "127.0.0.1", "VISAVIS_PORT": str(port)})
    if tls:
        server_env.update({"VISAVIS_TLS_CERT": str(tls[0]), "VISAVIS_TLS_KEY": str(tls[1])})
    if broker:
        # The Redis hub: several servers on one broker share rooms.
        server_env["VISAVIS_BROKER_URL"] = broker
    server_env.update(env or {})
    scheme = "https" if tls else "http"
    url = f"{scheme}://127.0.0.1:{port}"
    log_path = workdir / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "signaling"],
            cwd=server_dir or REPO_ROOT,
            env=server_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(url, process, log_path)
        yield Server(process, url, log_path)
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(url: str, process: subprocess.Popen, log_path: Path) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the server exited with {process.returncode}:\n{log_path.read_text()}"
            )
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1, context=context) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the server did not answer /healthz in {START_TIMEOUT} s")


@contextmanager
def coturn(workdir: Path, secret: str | None = None) -> Iterator[tuple[int, str]]:
    """A throw-away coturn on loopback with use-auth-secret and random ports: (port, secret)."""
    secret = secret or secrets.token_urlsafe(24)
    port = free_udp_port()
    low = 50000 + secrets.randbelow(150) * 100
    folder = workdir / f"coturn-{port}"
    folder.mkdir(parents=True, exist_ok=True)
    # Loopback peers are allowed only in this throw-away instance: both browsers are here.
    (folder / "turnserver.conf").write_text(f"""
listening-ip=127.0.0.1
relay-ip=127.0.0.1
listening-port={port}
min-port={low}
max-port={low + 99}
use-auth-secret
static-auth-secret={secret}
realm=visavis.test
no-tls
no-dtls
no-cli
allow-loopback-peers
log-file={folder}/turn.log
userdb={folder}/turndb
pidfile={folder}/turn.pid
""")
    process = subprocess.Popen(
        ["turnserver", "-c", str(folder / "turnserver.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_stun(port, process)
        yield port, secret
    finally:
        stop_process(process)


def _wait_for_stun(port: int, process: subprocess.Popen, timeout: float = 20) -> None:
    """Until coturn answers a STUN Binding request on `port` (RFC 8489 §6): a socket that
    exists may not be served yet. RuntimeError if coturn exits or stays silent."""
    request = (1).to_bytes(2, "big") + bytes(2) + (0x2112A442).to_bytes(4, "big")
    request += secrets.token_bytes(12)
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.settimeout(0.2)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"coturn exited with {process.returncode}")
            try:
                probe.sendto(request, ("127.0.0.1", port))
                if probe.recv(2048)[8:20] == request[8:20]:
                    return
            except OSError:  # not bound yet (ICMP unreachable) or no answer within 0.2 s
                time.sleep(0.05)
    raise RuntimeError(f"coturn does not answer STUN on udp {port} within {timeout} s")


@dataclass
class RedisServer:
    process: subprocess.Popen
    url: str  # redis://127.0.0.1:PORT/0


@contextmanager
def redis_server(workdir: Path, port: int | None = None) -> Iterator[RedisServer]:
    """A throw-away redis-server on a free loopback port (or `port`, to start it again in
    place), nothing kept on disk."""
    port = port or free_port()
    folder = workdir / f"redis-{port}"
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
            "--logfile",
            str(folder / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_tcp(port, process)
        yield RedisServer(process, f"redis://127.0.0.1:{port}/0")
    finally:
        stop_process(process)


def _wait_for_tcp(port: int, process: subprocess.Popen, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"{process.args[0]} is not listening on tcp {port}")
