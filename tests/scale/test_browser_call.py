"""A call in Chromium through the real nginx, whose upstream holds two signaling instances
sharing rooms through Redis: each person lands on another instance, and when the host's
instance is killed, the host's page resumes its seat through the other one."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser.steps import CONNECTED, expect_frames_advancing, restart_ice, seated, start_call
from tests.certs import dh_parameters
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.loopback import REPO_ROOT, Server, free_port, make_certificate, stop_process
from tests.scale.conftest import instances
from tests.templates import render_templates

REJOIN_BOUND = 10.0  # seconds from the kill to the host's page holding its seat again


@contextmanager
def nginx_in_front(
    workdir: Path, upstream: list[str], tls: tuple[Path, Path], port: int
) -> Iterator[str]:
    """The production site (infra/nginx/visavis.conf.j2, rendered as the nginx role does)
    with `upstream` as its signaling servers, HTTPS on loopback `port`: its https:// URL."""
    site = workdir / "nginx"
    site.mkdir()
    dhparam = dh_parameters(site / "dhparam.pem")
    render_templates(
        site,
        "Debian-12",
        visavis_domain="localhost",
        coturn_static_auth_secret=secrets.token_hex(32),
        certs_certificate_path=str(tls[0]),
        certs_private_key_path=str(tls[1]),
        coturn_tls_certificate=str(tls[0]),
        coturn_tls_private_key=str(tls[1]),
        nginx_dhparam_file=str(dhparam),
        certs_acme_webroot=str(site / "acme"),
        signaling_frontend_dir=str(REPO_ROOT / "frontend"),
        nginx_listen_ipv6=False,
        nginx_signaling_servers=upstream,
    )
    conf = (site / "visavis.conf").read_text()
    assert "least_conn;" in conf and all(f"server {server};" in conf for server in upstream)
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{free_port()};")
    conf = conf.replace("listen 443 ssl", f"listen 127.0.0.1:{port} ssl")
    (site / "visavis.conf").write_text(conf)
    (site / "nginx.conf").write_text(f"""daemon off;
pid {site}/nginx.pid;
error_log {site}/error.log;
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {site}/body;
    proxy_temp_path {site}/proxy;
    include {site}/visavis.conf;
}}
""")
    process = subprocess.Popen(
        ["nginx", "-p", str(site), "-c", str(site / "nginx.conf"), "-e", str(site / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert process.poll() is None, (site / "error.log").read_text()
            assert time.monotonic() < deadline, "nginx did not listen"
            time.sleep(0.05)
        yield f"https://127.0.0.1:{port}"
    finally:
        stop_process(process)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def events(server: Server) -> list[dict]:
    lines = server.log.read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith('{"time"')]


def seats_taken(server: Server) -> list[dict]:
    return [entry for entry in events(server) if entry["event"] == "seat-taken"]


def test_a_call_through_nginx_over_two_instances_survives_losing_one(
    browser, tmp_path, redis_url
) -> None:
    tls = make_certificate(tmp_path)
    https_port = free_port()
    public_url = f"https://127.0.0.1:{https_port}"
    env = {
        "VISAVIS_PUBLIC_URL": public_url,
        "VISAVIS_TRUSTED_PROXIES": "127.0.0.1",
        "VISAVIS_SEAT_GRACE": "30",
    }
    with instances(tmp_path, redis_url, env=env) as servers:
        upstream = [server.url.removeprefix("http://") for server in servers]
        with nginx_in_front(tmp_path, upstream, tls, https_port) as site:
            _call_and_kill(browser, site, servers)


def _call_and_kill(browser: Browser, site: str, servers: list[Server]) -> None:
    def new_page(path: str = "/", init_script: str | None = None) -> Page:
        # bypass_csp: the site's policy forbids the eval behind Playwright's wait_for_function.
        context = browser.new_context(
            ignore_https_errors=True, permissions=["camera", "microphone"], bypass_csp=True
        )
        page = context.new_page()
        page.goto(f"{site}{path}")
        return page

    host, guest, _ = start_call(new_page)
    for page in (host, guest):
        expect(page.locator("#call-status")).to_have_text(CONNECTED)
    # least_conn: the host's socket went to one instance, the guest's to the other.
    taken = [seats_taken(server) for server in servers]
    assert sorted(len(seats) for seats in taken) == [1, 1], taken
    host_instance = next(
        s for s, seats in zip(servers, taken, strict=True) if not seats[0]["polite"]
    )
    other = next(server for server in servers if server is not host_instance)
    for page in (host, guest):
        page.evaluate("window.callConnection = window.visavis.peerConnection")

    killed_at = time.monotonic()
    host_instance.process.kill()  # SIGKILL: no goodbye to the browser, nginx or Redis
    host_instance.process.wait()
    while not seated(host) or not any(seat["resumed"] for seat in seats_taken(other)):
        assert time.monotonic() - killed_at < REJOIN_BOUND, "the host did not resume"
        time.sleep(0.05)
    print(
        f"\nhost back in its seat through the other instance after "
        f"{time.monotonic() - killed_at:.2f} s"
    )

    resumed = [seat for seat in seats_taken(other) if seat["resumed"]]
    assert [seat["polite"] for seat in resumed] == [False]  # the host's own seat
    for page in (host, guest):
        expect(page.locator("#call-status")).to_have_text(CONNECTED)
        assert page.evaluate("window.callConnection === window.visavis.peerConnection")
        expect_frames_advancing(page)
    took = restart_ice(host, guest)  # negotiation now runs through one instance
    print(f"ICE restart through the remaining instance: {took:.2f} s")
