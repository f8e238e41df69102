"""Hosts in a real Chromium: a passkey on Chromium's virtual authenticator (DevTools
`WebAuthn.addVirtualAuthenticator` over Playwright's CDP session) enrols from a link the
real CLI made, signs in and starts a meeting; a guest without any credential joins by link
and the call runs; the guest cannot start one; a removed host can no longer start one."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.steps import CODE, expect_remote_video_playing, join_by_link
from tests.loopback import REPO_ROOT, Server, make_certificate, signaling_server

HOSTS_ONLY = "Only hosts of this server can start meetings — sign in."


@pytest.fixture(scope="module")
def hosts_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict]]:
    """The real server with VISAVIS_ACCESS=hosts over HTTPS; its environment for the CLI."""
    workdir = tmp_path_factory.mktemp("hosts")
    env = {
        "VISAVIS_ACCESS": "hosts",
        "VISAVIS_STATE_DIR": str(workdir / "state"),
        "VISAVIS_SESSION_SECRET": "browser-test-" + "s" * 32,
    }
    with signaling_server(workdir, tls=make_certificate(workdir), env=env) as server:
        yield server, env


def site(server: Server) -> str:
    # A passkey's RP ID is a domain, never an IP address (WebAuthn Level 3 §5.1.2).
    return server.url.replace("127.0.0.1", "localhost")


def cli(env: dict, *argv: str) -> str:
    """`python -m signaling ...` as the operator runs it, on the server's state folder."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VISAVIS_")}
    done = subprocess.run(
        [sys.executable, "-m", "signaling", *argv],
        cwd=REPO_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.strip()


def person(browser: Browser, passkeys: bool) -> tuple[BrowserContext, Page]:
    """A browser profile of its own; with `passkeys`, a platform authenticator that keeps
    discoverable credentials and verifies its user (as Touch ID or Windows Hello would)."""
    context = browser.new_context(
        ignore_https_errors=True,
        permissions=["camera", "microphone"],
        viewport={"width": 900, "height": 700},
    )
    page = context.new_page()
    if passkeys:
        devtools = context.new_cdp_session(page)
        devtools.send("WebAuthn.enable")
        devtools.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
    return context, page


def start_meeting(page: Page) -> str:
    page.click("#new-meeting")
    page.click("#join-now")
    code = page.locator("#meeting-code")
    expect(code).to_have_text(CODE, timeout=10_000)
    return code.inner_text()


@pytest.mark.timeout(300)
def test_a_host_enrols_signs_in_and_starts_a_meeting_a_guest_joins_by_link(
    browser: Browser, hosts_server: tuple[Server, dict]
) -> None:
    server, env = hosts_server
    link = cli(env, "enrol", "--name", "Ana", "--url", site(server))
    host_context, host = person(browser, passkeys=True)
    guest_context, guest = person(browser, passkeys=False)
    try:
        # Enrol: the link's page makes a passkey and signs its opener in.
        host.goto(link)
        expect(host.locator("#enrol-title")).to_be_visible()
        assert host.evaluate("location.hash") == "", "the token leaves the address bar"
        host.click("#enrol-button")
        expect(host.locator("#enrol-text")).to_contain_text("you are a host", timeout=10_000)
        expect(host.locator("#host-name")).to_have_text("Signed in as Ana")
        cookies = host_context.cookies()
        assert [c["name"] for c in cookies] == ["__Host-visavis-host"]
        assert cookies[0]["httpOnly"] and cookies[0]["secure"]
        assert cookies[0]["sameSite"] == "Strict"
        assert host.evaluate("document.cookie") == "", "no script can read the cookie"

        # Signed out and in again with the same passkey, then a meeting.
        host.click("#sign-out")
        expect(host.locator("#sign-in")).to_be_visible()
        host.reload()
        host.click("#sign-in")
        expect(host.locator("#host-name")).to_have_text("Signed in as Ana", timeout=10_000)
        code = start_meeting(host)

        # The guest: no account, no passkey, only the link.
        guest.goto(f"{site(server)}/")
        guest.click("#new-meeting")
        expect(guest.locator("#host-error")).to_have_text(HOSTS_ONLY)
        expect(guest.locator("#sign-in")).to_be_visible()
        expect(guest.locator("#home-view")).to_be_visible()
        refused = guest.evaluate(
            """() => new Promise((done) => {
                const socket = new WebSocket(`wss://${location.host}/ws`);
                socket.onopen = () => socket.send(JSON.stringify({type: 'create'}));
                socket.onmessage = ({data}) => { done(JSON.parse(data)); socket.close(); };
                socket.onclose = ({code}) => done({closed: code});
                setTimeout(() => done({timeout: true}), 10000);
            })"""
        )
        assert refused["code"] == "hosts-only" and refused["message"] == HOSTS_ONLY
        guest.close()
        guest = join_by_link(lambda path, _=None: _opened(guest_context, site(server) + path), code)
        expect_remote_video_playing(host)
        expect_remote_video_playing(guest)

        # The operator removes the host: their next meeting is refused, on the home page.
        host_id = cli(env, "hosts").split("\t")[0]
        cli(env, "remove-host", host_id)
        host.click("#hang-up")
        host.click("#go-home")
        host.click("#new-meeting")  # the page still believes it is signed in
        host.click("#join-now")
        expect(host.locator("#host-error")).to_have_text(HOSTS_ONLY, timeout=10_000)
        expect(host.locator("#home-view")).to_be_visible()
        expect(host.locator("#sign-in")).to_be_visible()
        host.click("#sign-in")
        expect(host.locator("#host-error")).to_contain_text(
            "not one of this server", timeout=10_000
        )
    finally:
        host_context.close()
        guest_context.close()


def _opened(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.goto(url)
    return page


def test_an_enrolment_link_works_once_in_the_browser_too(
    browser: Browser, hosts_server: tuple[Server, dict]
) -> None:
    server, env = hosts_server
    link = cli(env, "enrol", "--name", "Bo", "--url", site(server))
    first_context, first = person(browser, passkeys=True)
    second_context, second = person(browser, passkeys=True)
    try:
        # A query on the link (`?relay=1`, read when the call starts) outlives the token.
        path, token = link.split("#", 1)
        first.goto(f"{path}?relay=1#{token}")
        place = "location.pathname + location.search + location.hash"
        assert first.evaluate(place) == "/?relay=1", "the token goes, the query stays"
        first.click("#enrol-button")
        expect(first.locator("#host-name")).to_have_text("Signed in as Bo", timeout=10_000)
        second.goto(link)
        second.click("#enrol-button")
        expect(second.locator("#enrol-error")).to_contain_text("used already", timeout=10_000)
        expect(second.locator("#sign-in")).to_be_visible()
    finally:
        first_context.close()
        second_context.close()
