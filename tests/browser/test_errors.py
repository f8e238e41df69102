"""Errors a person understands: blocked camera, no camera, a busy camera, a page opened
over plain HTTP, a browser without WebRTC. (Meeting full and meeting not found: see
test_call.py.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import (
    CODE,
    expect_remote_video_playing,
    screenshot,
    start_meeting,
)
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.loopback import signaling_server

FAIL_CAMERA = """
const ask = MediaDevices.prototype.getUserMedia;
MediaDevices.prototype.getUserMedia = function (constraints) {
  if (constraints.video) return Promise.reject(new DOMException('camera', '%s'));
  return ask.call(this, constraints);
};
"""
NO_WEBRTC = "delete window.RTCPeerConnection; delete window.webkitRTCPeerConnection;"
HOST_NAME = "visavis.test"  # not loopback to Chromium, so plain HTTP is not secure


def lobby_for_new_meeting(page: Page) -> Page:
    page.click("#new-meeting")
    expect(page.locator("#lobby-view")).to_be_visible()
    return page


@pytest.fixture
def launch(playwright):
    """Another Chromium with other flags, closed after the test."""
    browsers = []

    def start(*args: str, drop: tuple[str, ...] = ()):
        chromium_args = [arg for arg in CHROMIUM_ARGS if arg not in drop]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*chromium_args, *args])
        browsers.append(browser)
        return browser

    yield start
    for browser in browsers:
        browser.close()


def test_blocked_camera_and_microphone_say_how_to_allow_them(launch, server_url) -> None:
    # No automatic "allow", no granted permission: Chromium denies the prompt itself.
    browser = launch("--deny-permission-prompts", drop=("--use-fake-ui-for-media-stream",))
    page = browser.new_context(ignore_https_errors=True).new_page()
    page.goto(f"{server_url}/")
    lobby_for_new_meeting(page)
    expect(page.locator("#lobby-error")).to_contain_text("To allow them", timeout=10_000)
    expect(page.locator("#lobby-mic")).to_be_disabled()
    screenshot(page, "error-blocked")
    page.click("#join-now")
    expect(page.locator("#meeting-code")).to_have_text(CODE, timeout=10_000)
    expect(page.locator("#call-error")).to_contain_text("blocked")


def test_without_a_camera_the_call_is_audio_only(new_page) -> None:
    host, code = start_meeting(new_page)
    guest = new_page("/", FAIL_CAMERA % "NotFoundError")
    guest.fill("#join-code", code)
    guest.click("#join")
    expect(guest.locator("#lobby-error")).to_contain_text("audio only")
    guest.click("#join-now")
    expect_remote_video_playing(guest)
    expect(guest.locator("#toggle-camera")).to_be_disabled()
    expect(guest.locator("#toggle-mic")).to_be_enabled()
    host.wait_for_function(
        """() => window.visavis.peerConnection?.getReceivers()
             .some((r) => r.track.kind === 'audio' && r.track.readyState === 'live')"""
    )


def test_a_camera_in_use_by_another_app_is_named(new_page) -> None:
    page = lobby_for_new_meeting(new_page("/", FAIL_CAMERA % "NotReadableError"))
    expect(page.locator("#lobby-error")).to_contain_text("in use by another app")
    expect(page.locator("#lobby-mic")).to_be_enabled()


def test_plain_http_explains_that_https_is_needed(launch, tmp_path) -> None:
    with signaling_server(tmp_path) as server:  # plain HTTP
        port = server.url.rsplit(":", 1)[1]
        browser = launch(f"--host-resolver-rules=MAP {HOST_NAME} 127.0.0.1")
        page = browser.new_context().new_page()
        page.goto(f"http://{HOST_NAME}:{port}/")
        assert page.evaluate("window.isSecureContext") is False
        lobby_for_new_meeting(page)
        expect(page.locator("#lobby-error")).to_contain_text("https://")


def test_a_browser_without_webrtc_is_told_so(new_page) -> None:
    page = lobby_for_new_meeting(new_page("/", NO_WEBRTC))
    expect(page.locator("#lobby-error")).to_contain_text("cannot make video calls")
    expect(page.locator("#join-now")).to_be_disabled()
