"""A signaling path that dies silently (no FIN, no RST: a sleeping laptop, a NAT that forgot
the connection), with a proxy in front of the server that freezes one person's connection.
The client notices by its heartbeat and takes its seat back; the media path is the truth."""

from __future__ import annotations

import secrets
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import (
    CONNECTED,
    expect_frames_advancing,
    expect_remote_video_playing,
    ice_ufrags,
    join_from_home,
    on_server,
    seated,
    start_meeting,
)
from tests.browser.test_recovery import PEER_LEFT, RECORD_STATUS
from tests.freezing_proxy import FreezingProxy, freezing_proxy
from tests.loopback import Server, make_certificate, signaling_server

RESUME_TARGET = 15.0  # seconds from the path dying to the seat resumed (issue 15)
SERVER_LOST_PEER = "The server lost contact with the other person"


def call_through(
    open_page, server: Server, proxy: FreezingProxy, guest_script: str | None = None
) -> tuple[Page, Page]:
    """The host straight to the server, the guest through the proxy; both see each other."""
    host, code = start_meeting(on_server(open_page, server))
    scheme = server.url.split(":", 1)[0]
    proxied = Server(server.process, f"{scheme}://127.0.0.1:{proxy.port}", server.log)
    guest = join_from_home(on_server(open_page, proxied), code, guest_script)
    expect_remote_video_playing(host)
    expect_remote_video_playing(guest)
    host.evaluate(RECORD_STATUS)
    for page in (host, guest):
        page.evaluate("window.callConnection = window.visavis.peerConnection")
    return host, guest


def wait_until(check, timeout: float) -> float:
    """Seconds until `check()` holds; AssertionError after `timeout`."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.05)
    return time.monotonic() - started


def expect_same_call(page: Page) -> None:
    assert page.evaluate("window.callConnection === window.visavis.peerConnection"), (
        "the call kept its connection"
    )
    expect_frames_advancing(page)


# Older browsers throw on setConfiguration (used for fresh TURN credentials on resume): the
# rest of the resume must not depend on it.
REFUSE_SET_CONFIGURATION = """
RTCPeerConnection.prototype.setConfiguration = function () {
  throw new DOMException('not supported here', 'InvalidModificationError');
};
"""


@pytest.mark.parametrize("browser_kind", ["current", "setConfiguration throws"])
def test_a_frozen_signaling_path_is_noticed_and_the_seat_resumed(
    open_page, tmp_path, browser_kind
) -> None:
    script = REFUSE_SET_CONFIGURATION if browser_kind != "current" else None
    with (
        signaling_server(tmp_path, tls=make_certificate(tmp_path)) as server,
        freezing_proxy(int(server.url.rsplit(":", 1)[1])) as proxy,
    ):
        host, guest = call_through(open_page, server, proxy, script)
        before = ice_ufrags(guest)
        accepted = proxy.accepted

        assert proxy.freeze() >= 1
        detected = wait_until(lambda: not seated(guest), RESUME_TARGET)
        resumed = detected + wait_until(lambda: seated(guest), RESUME_TARGET)
        print(
            f"\nfrozen signaling path: noticed after {detected:.1f} s, seat resumed after "
            f"{resumed:.1f} s"
        )
        assert resumed < RESUME_TARGET
        assert proxy.accepted > accepted, "a new socket through the proxy took the seat"

        for page in (host, guest):
            expect(page.locator("#call-status")).to_have_text(CONNECTED)
            expect(page.locator("#call-error")).to_be_empty()
            expect_same_call(page)
        assert ice_ufrags(guest) == before, "nothing was renegotiated"
        assert not any(PEER_LEFT in status for status in host.evaluate("window.statuses"))


def test_the_servers_peer_left_does_not_end_a_call_whose_media_flows(open_page, tmp_path) -> None:
    # The server gives up on the frozen socket after 4 s and on its seat 1 s later; the
    # guest's new sockets are refused meanwhile, so the host hears `peer-left`. Plain HTTP on
    # loopback, as behind nginx: uvicorn's own TLS would wait up to 30 s for a close_notify
    # that the frozen path never delivers before it lets the socket go.
    env = {
        "VISAVIS_PING_INTERVAL": "2",
        "VISAVIS_SEAT_GRACE": "1",
        "VISAVIS_RESUME_SECRET": secrets.token_urlsafe(24),
    }
    with (
        signaling_server(tmp_path, env=env) as server,
        freezing_proxy(int(server.url.rsplit(":", 1)[1])) as proxy,
    ):
        host, guest = call_through(open_page, server, proxy)
        before = ice_ufrags(guest)

        proxy.refuse(True)
        proxy.freeze()
        expect(host.locator("#call-status")).to_contain_text(SERVER_LOST_PEER, timeout=15_000)
        for page in (host, guest):
            expect_same_call(page)
        expect(host.locator("#call-error")).to_be_empty()

        proxy.refuse(False)  # the guest's next attempt gets through: a new seat, same call
        wait_until(lambda: seated(guest), 10)
        for page in (host, guest):
            expect(page.locator("#call-status")).to_have_text(CONNECTED)
            expect_same_call(page)
        assert ice_ufrags(guest) == before, "nothing was renegotiated"
        assert not any(PEER_LEFT in status for status in host.evaluate("window.statuses"))
