"""Self-healing calls: the server restarts, ICE restarts, a page reloads, TURN credentials
expire, and the call goes on."""

from __future__ import annotations

import secrets
import signal
import time
from itertools import pairwise

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import (
    CONNECTED,
    MEDIA_TIMEOUT,
    expect_frames_advancing,
    expect_ice_restarted,
    expect_remote_video_playing,
    ice_ufrags,
    join_by_link,
    on_server,
    restart_ice,
    seated,
    selected_candidate_types,
    start_call,
)
from tests.loopback import coturn, make_certificate, signaling_server

REJOIN_BOUND = 5.0  # seconds from the restarted server being healthy to both back in the room
SERVER_AWAY = "Reconnecting to the server"
PEER_LEFT = "The other person left."
RECORD_STATUS = """
window.statuses = [];
new MutationObserver(() => window.statuses.push(
    document.getElementById('call-status').textContent))
  .observe(document.getElementById('call-status'), {childList: true, subtree: true,
                                                     characterData: true});
"""


def frame_counts(page: Page) -> int:
    return page.evaluate(
        "document.getElementById('remote-video').getVideoPlaybackQuality().totalVideoFrames"
    )


@pytest.mark.parametrize("stop", ["SIGKILL", "SIGTERM"])
def test_a_server_restart_does_not_interrupt_the_call(open_page, tmp_path, stop) -> None:
    tls = make_certificate(tmp_path)
    env = {"VISAVIS_RESUME_SECRET": secrets.token_urlsafe(24)}
    with signaling_server(tmp_path, tls=tls, env=env) as server:
        host, guest, _ = start_call(on_server(open_page, server))
        port = int(server.url.rsplit(":", 1)[1])
        for page in (host, guest):
            page.evaluate("window.callConnection = window.visavis.peerConnection")

        # SIGKILL: no goodbye to anyone. SIGTERM: sockets closed with 1012, as systemd stops it.
        server.process.send_signal(getattr(signal, stop))
        server.process.wait()

        for page in (host, guest):
            expect(page.locator("#call-status")).to_contain_text(SERVER_AWAY, timeout=5_000)
        # The media goes browser to browser: it does not notice the server is gone.
        samples = []
        for _ in range(4):
            samples.append((frame_counts(host), frame_counts(guest)))
            host.wait_for_timeout(1000)
        for (host_before, guest_before), (host_after, guest_after) in pairwise(samples):
            assert host_after > host_before and guest_after > guest_before, samples
        assert seated(host) is False and seated(guest) is False

    with signaling_server(tmp_path, tls=tls, env=env, port=port):
        healthy = time.monotonic()
        waiting = {host, guest}
        while waiting and time.monotonic() - healthy < 2 * REJOIN_BOUND:
            waiting = {page for page in waiting if not seated(page)}
            time.sleep(0.05)
        rejoined_after = time.monotonic() - healthy
        print(f"\nserver restart: both back in the room {rejoined_after:.2f} s after healthy")
        assert not waiting, "a client did not get back into the room"
        assert rejoined_after < REJOIN_BOUND

        for page in (host, guest):
            expect(page.locator("#call-status")).to_have_text(CONNECTED)
            expect(page.locator("#call-error")).to_be_empty()
            assert page.evaluate("window.callConnection === window.visavis.peerConnection"), (
                "the call kept its connection"
            )
            expect_frames_advancing(page)

        # Negotiation works through the new server process.
        took = restart_ice(host, guest)
        print(f"ICE restart after the server restart: {took:.2f} s")
        expect_frames_advancing(host)
        expect_frames_advancing(guest)


def test_a_forced_ice_restart_resumes_frames(new_page) -> None:
    host, guest, _ = start_call(new_page)

    started = time.monotonic()
    restart_ice(guest, host)
    expect_frames_advancing(host)
    expect_frames_advancing(guest)

    print(f"\nICE restart -> frames again: {time.monotonic() - started:.2f} s")
    for page in (host, guest):
        expect(page.locator("#call-status")).to_have_text(CONNECTED)


def test_going_back_online_restarts_ice(new_page) -> None:
    host, guest, _ = start_call(new_page)
    before = ice_ufrags(guest)

    guest.evaluate("window.dispatchEvent(new Event('online'))")

    expect_ice_restarted(guest, before)
    expect_frames_advancing(host)
    expect_frames_advancing(guest)


def test_a_reload_takes_the_seat_back_and_keeps_strangers_out(new_page, server_url) -> None:
    host, guest, code = start_call(new_page)

    started = time.monotonic()
    guest.reload()
    expect_remote_video_playing(guest)
    expect_remote_video_playing(host)
    print(f"\nreload -> video back on both sides: {time.monotonic() - started:.2f} s")

    # The guest's page goes away for longer: the host hears so at once (its `bye`), and
    # their seat waits for them (grace period).
    guest.goto("about:blank")
    expect(host.locator("#call-status")).to_contain_text(PEER_LEFT)
    intruder = join_by_link(new_page, code)
    expect(intruder.locator("#call-error")).to_contain_text("full", timeout=10_000)

    # Back in the same tab: same room, same seat, video on both sides.
    guest.goto(f"{server_url}/{code}")
    expect_remote_video_playing(guest)
    expect_remote_video_playing(host)
    expect(guest).to_have_url(f"{server_url}/{code}")
    expect(guest.locator("#call-error")).to_be_empty()
    expect(host.locator("#call-status")).to_have_text(CONNECTED)

    # The page really sits in its old seat: a stranger is still turned away.
    late = join_by_link(new_page, code)
    expect(late.locator("#call-error")).to_contain_text("full", timeout=10_000)


def test_the_creator_reloading_takes_the_seat_back(new_page) -> None:
    host, guest, _ = start_call(new_page)

    host.reload()

    expect_remote_video_playing(host)
    expect_remote_video_playing(guest)
    for page in (host, guest):
        expect(page.locator("#call-status")).to_have_text(CONNECTED)
        expect(page.locator("#call-error")).to_be_empty()


def test_a_call_outlives_its_turn_credentials(open_page, tmp_path) -> None:
    ttl = 6
    with coturn(tmp_path) as (turn_port, secret):
        env = {
            "VISAVIS_TURN_URLS": f"turn:127.0.0.1:{turn_port}?transport=udp",
            "VISAVIS_TURN_SECRET": secret,
            "VISAVIS_TURN_TTL": str(ttl),
        }
        with signaling_server(tmp_path, tls=make_certificate(tmp_path), env=env) as server:
            # ?relay=1 (test and debug only): relayed candidates alone, through our coturn.
            host, guest, _ = start_call(on_server(open_page, server), path="/?relay=1")
            assert selected_candidate_types(host)["local"] == "relay"
            first_username = host.evaluate(
                "window.visavis.peerConnection.getConfiguration().iceServers[0].username"
            )

            host.wait_for_timeout((ttl + 2) * 1000)  # the first credentials have expired
            username = host.evaluate(
                "window.visavis.peerConnection.getConfiguration().iceServers[0].username"
            )
            assert username != first_username, "the server's fresh credentials were applied"
            assert int(username.split(":")[0]) > time.time(), "and they are valid now"

            restart_ice(host, guest, timeout=MEDIA_TIMEOUT)
            expect_frames_advancing(host)
            expect_frames_advancing(guest)
            for page in (host, guest):
                assert selected_candidate_types(page)["local"] == "relay"
