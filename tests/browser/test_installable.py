"""The installable app in real Chromium: the manifest parses and the page is installable,
a second load works offline, the service worker caches the app shell only, and a new
version takes over on the next load, never while a tab is in a meeting (frontend/sw.js)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect

from tests.browser.steps import CODE, own_server, screenshot
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.loopback import free_port, make_certificate, signaling_server

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
SHELL_CACHE = "visavis-shell-"

# Resolves once this page's registration has an active worker, and the page is controlled
# (the first load is not: the worker takes the next one).
READY = "navigator.serviceWorker.ready.then((r) => r.active.state === 'activated')"
# Every URL path in every cache of this origin, by cache name.
CACHED = """async () => {
  const found = {};
  for (const name of await caches.keys()) {
    const keys = await (await caches.open(name)).keys();
    found[name] = keys.map((request) => new URL(request.url).pathname);
  }
  return found;
}"""
WAITING = "navigator.serviceWorker.getRegistration().then((r) => Boolean(r && r.waiting))"
# The worker states of the registration: installing, waiting, active.
STATE = """navigator.serviceWorker.getRegistration()
  .then((r) => r && [r.installing?.state, r.waiting?.state, r.active?.state])"""
TAKEOVER = """navigator.serviceWorker.getRegistration()
  .then((r) => r.waiting.postMessage('takeover'))"""
TAKEN_OVER = """navigator.serviceWorker.getRegistration()
  .then((r) => !r.waiting && r.active.state === 'activated')"""


@pytest.fixture
def context(playwright: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """One person's browser profile, every tab in it sharing the service worker. On disk:
    Chromium calls no app in an incognito-like context installable. It trusts the test
    server's self-signed certificate for workers too (`ignore_https_errors` alone lets pages
    load, but Chromium refuses a worker whose script came with a certificate error)."""
    context = playwright.chromium.launch_persistent_context(
        tmp_path / "profile",
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, "--ignore-certificate-errors"],
        ignore_https_errors=True,
        permissions=["camera", "microphone"],
    )
    yield context
    context.close()


def until(page: Page, script: str, timeout: float = 60) -> None:
    """Evaluate `script` (a promise is awaited) until it is true; Page.wait_for_function
    would take the promise itself for true."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        state = page.evaluate(STATE)
        assert time.monotonic() < deadline, f"not true within {timeout} s: {script} ({state})"
        time.sleep(0.2)


def installed(context: BrowserContext, url: str) -> Page:
    """The home page opened, its worker active, then loaded again under the worker."""
    page = context.new_page()
    page.goto(url)
    until(page, READY)
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    return page


def test_the_manifest_parses_and_the_page_is_installable(context, server_url) -> None:
    page = installed(context, f"{server_url}/")
    cdp = context.new_cdp_session(page)

    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [], manifest["errors"]
    assert manifest["url"].endswith("/manifest.webmanifest")
    assert '"short_name": "visavis"' in manifest["data"]
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []


def test_a_second_load_works_offline(context, server_url) -> None:
    page = installed(context, f"{server_url}/")

    context.set_offline(True)
    page.reload()
    expect(page.locator("#new-meeting")).to_be_visible()
    expect(page.locator("#new-meeting")).to_have_text("New meeting")
    # A meeting's address needs the network: the offline page says so.
    page.goto(f"{server_url}/abcd-efgh-jkmn")
    expect(page.locator("#offline-title")).to_have_text("You are offline")
    expect(page.locator("#offline-retry")).to_be_visible()
    screenshot(page, "installable")
    # Back online, the same address is the meeting's lobby (not a cached offline page).
    # The page tries again by itself when back online (a goto here would race its reload).
    context.set_offline(False)
    expect(page.locator("#lobby-view")).to_be_visible(timeout=15_000)


def test_the_offline_page_tries_again_until_the_meeting_answers(context, tmp_path) -> None:
    """`online` is not "reachable": the browser says online when the link is up, which can be
    before traffic flows (DHCP, a captive portal) or while the server restarts. Here the
    browser is online and the server is down: the offline page must not stop trying."""
    port = free_port()
    certificate = make_certificate(tmp_path)
    with signaling_server(tmp_path, tls=certificate, port=port) as server:
        page = installed(context, f"{server.url}/")
        url = f"{server.url}/abcd-efgh-jkmn"
    # The server is gone; the browser went offline and online again meanwhile.
    context.set_offline(True)
    page.goto(url)
    expect(page.locator("#offline-title")).to_have_text("You are offline")
    context.set_offline(False)
    time.sleep(2)  # its `online` try has failed: with only that one, it would stay here
    expect(page.locator("#offline-title")).to_have_text("You are offline")
    with signaling_server(tmp_path, tls=certificate, port=port):
        expect(page.locator("#lobby-view")).to_be_visible(timeout=15_000)


def test_the_worker_caches_the_shell_only(context, server_url) -> None:
    page = installed(context, f"{server_url}/")
    # Through the worker: the health check, the ICE servers, and a meeting with its socket.
    page.evaluate("Promise.all([fetch('/healthz'), fetch('/ice-servers')])")
    page.click("#new-meeting")
    page.click("#join-now")
    expect(page.locator("#meeting-code")).to_have_text(CODE, timeout=10_000)

    cached = page.evaluate(CACHED)
    (name,) = cached  # one version's cache, and nothing else
    assert name.startswith(SHELL_CACHE)
    paths = set(cached[name])
    assert {"/", "/offline.html", "/js/main.js", "/js/call.js", "/css/app.css"} <= paths
    for path in paths:
        assert path.split("/")[1] in {
            "",
            "offline.html",
            "manifest.webmanifest",
            "favicon.svg",
            "icons",
            "css",
            "js",
        }, path
    assert not paths & {"/ws", "/healthz", "/ice-servers", "/auth/me"}
    assert not any(CODE.match(path.strip("/")) for path in paths)


def deploy_next_version(client: Path) -> None:
    """A deploy: a new version of the client, so a new sw.js."""
    worker = client / "sw.js"
    source = worker.read_text()
    worker.write_text(source.replace("const VERSION = '", "const VERSION = 'next-", 1))


def test_a_new_version_takes_over_from_the_home_page_when_no_call_runs(context, tmp_path) -> None:
    client = tmp_path / "frontend"
    shutil.copytree(FRONTEND, client)
    with own_server(tmp_path, VISAVIS_FRONTEND_DIR=str(client)) as server:
        home = installed(context, f"{server.url}/")
        deploy_next_version(client)
        # Found while the home page is open: once installed, the page asks it to take over
        # (main.js), and no tab holds the call lock, so it does.
        home.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
        until(
            home,
            f"caches.keys().then((names) => names.length === 1 && "
            f"names[0].startsWith('{SHELL_CACHE}next-'))",
        )
        until(home, TAKEN_OVER)
        names = list(home.evaluate(CACHED))
        assert len(names) == 1 and names[0].startswith(f"{SHELL_CACHE}next-"), names


def test_a_new_version_does_not_take_over_while_a_tab_is_in_a_call(context, tmp_path) -> None:
    client = tmp_path / "frontend"
    shutil.copytree(FRONTEND, client)
    with own_server(tmp_path, VISAVIS_FRONTEND_DIR=str(client)) as server:
        home = installed(context, f"{server.url}/")
        first = set(home.evaluate(CACHED))
        # Another tab of the same person is in a meeting.
        call = context.new_page()
        call.goto(f"{server.url}/")
        call.click("#new-meeting")
        call.click("#join-now")
        expect(call.locator("#meeting-code")).to_have_text(CODE, timeout=10_000)

        deploy_next_version(client)
        home.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
        until(home, WAITING)
        # The next load of the home page asks it to take over: refused, a call is running.
        home.reload()
        home.evaluate(TAKEOVER)
        time.sleep(2)  # the refusal is silence: give the worker time to have answered
        assert home.evaluate(WAITING), "a new version took over while a call was running"
        assert set(home.evaluate(CACHED)) >= first, "the running version's cache was deleted"
        expect(call.locator("#call-view")).to_be_visible()
