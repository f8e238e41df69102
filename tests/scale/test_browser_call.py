"""A call in Chromium through the real nginx, whose upstream holds two signaling instances
sharing rooms through Redis: each person lands on another instance, and when the host's
instance is killed, the host's page resumes its seat through the other one."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser.steps import CONNECTED, expect_frames_advancing, restart_ice, seated, start_call
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.loopback import Server, free_port, make_certificate
from tests.nginx import nginx_in_front
from tests.scale.conftest import instances

REJOIN_BOUND = 10.0  # seconds from the kill to the host's page holding its seat again


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
            assert "least_conn;" in (tmp_path / "nginx/visavis.conf").read_text()
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
