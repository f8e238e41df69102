"""The real signaling server over HTTPS on a free loopback port, and Chromium with fake media."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.chromium import CHROMIUM, CHROMIUM_ARGS

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0
OPENSSL_REQ = shlex.split(
    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
    " -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1"
)
# The real entry point, as `make run` and the deployed service start it.
SERVER = [sys.executable, "-m", "signaling"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [*OPENSSL_REQ, "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True
    )
    return cert, key


@pytest.fixture(scope="session")
def server_url(
    tls_files: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    cert, key = tls_files
    port = _free_port()
    url = f"https://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            SERVER,
            cwd=REPO_ROOT,
            env={
                **os.environ,
                "VISAVIS_HOST": "127.0.0.1",
                "VISAVIS_PORT": str(port),
                "VISAVIS_TLS_CERT": str(cert),
                "VISAVIS_TLS_KEY": str(key),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_healthy(url, server, log_path)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_healthy(url: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", verify=False, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(
        f"the server did not answer /healthz within {START_TIMEOUT} s:\n{log_path.read_text()}"
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Browser, server_url: str):
    """Open pages in separate contexts: each is a person with their own tab and storage."""
    contexts = []

    def open_page(path: str = "/", init_script: str | None = None):
        context = browser.new_context(
            ignore_https_errors=True,
            # Granted, Chromium gives real host candidates instead of mDNS names, which
            # nothing here resolves (there is no STUN or TURN in the test either).
            permissions=["camera", "microphone"],
            viewport={"width": 900, "height": 700},
        )
        contexts.append(context)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.goto(f"{server_url}{path}")
        return page

    yield open_page
    for context in contexts:
        context.close()
