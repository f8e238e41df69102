"""Devices in real life: a microphone or camera that goes away mid-call (a Bluetooth headset
switched off, a USB camera unplugged), and a phone that opens one camera at a time. Chromium
fakes three cameras here; an init script makes getUserMedia refuse what a device would."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from tests.browser.steps import CONNECTED, expect_frames_advancing, sender_track, start_call
from tests.chromium import CHROMIUM, CHROMIUM_ARGS

# Chromium's second fake camera (fake_device_1) is a depth camera (Y16) whose frames a
# sender never encodes; fake_device_2 is an ordinary one.
CAMERAS = "--use-fake-device-for-media-stream=device-count=3"
OTHER_CAMERA = "fake_device_2"

# `window.refuse`: kind -> the DOMException name getUserMedia refuses that kind with (the
# device is gone); `window.oneCamera`: a second live camera is refused, as on many phones;
# `window.busyCamera`: that camera's deviceId is refused (another app holds it).
# `window.unplug(kind)`: the track the call sends ends, as when its device goes away.
DEVICES = """
(() => {
  const ask = MediaDevices.prototype.getUserMedia;
  const cameras = [];
  window.refuse = {};
  window.oneCamera = false;
  MediaDevices.prototype.getUserMedia = async function (constraints) {
    for (const kind of ['audio', 'video']) {
      if (constraints[kind] && window.refuse[kind]) {
        throw new DOMException(`no ${kind}`, window.refuse[kind]);
      }
    }
    if (constraints.video && ((window.oneCamera &&
        cameras.some((track) => track.readyState === 'live')) ||
        (window.busyCamera && constraints.video.deviceId?.exact === window.busyCamera))) {
      throw new DOMException('Could not start video source', 'NotReadableError');
    }
    const stream = await ask.call(this, constraints);
    cameras.push(...stream.getVideoTracks());
    return stream;
  };
  window.unplug = (kind) => {
    const track = window.visavis.peerConnection.getSenders()
      .find((sender) => sender.track?.kind === kind).track;
    track.stop();
    track.dispatchEvent(new Event('ended'));
  };
})();
"""


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    args = [CAMERAS if arg.startswith("--use-fake-device") else arg for arg in CHROMIUM_ARGS]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
    yield browser
    browser.close()


def live_sender(page: Page, kind: str) -> dict:
    return page.evaluate(
        """kind => {
            const track = window.visavis.peerConnection.getTransceivers()
                .find((t) => t.receiver.track.kind === kind).sender.track;
            return {label: track?.label ?? null, state: track?.readyState ?? null};
        }""",
        kind,
    )


def expect_sending(page: Page, label: str) -> None:
    """The call sends a live track from the camera `label`."""
    page.wait_for_function(
        """label => window.visavis.peerConnection.getSenders()
             .some((s) => s.track?.label === label && s.track.readyState === 'live')""",
        arg=label,
    )


def test_a_microphone_that_goes_away_is_replaced_by_the_default(new_page) -> None:
    host, guest, _ = start_call(new_page, init_script=DEVICES)
    before = sender_track(host, "audio")

    host.evaluate("window.unpluggedAt = Date.now(); window.unplug('audio')")

    host.wait_for_function(
        f"""() => {{
            const track = window.visavis.peerConnection.getSenders()
                .find((s) => s.track?.kind === 'audio')?.track;
            return track && track.readyState === 'live' && track.id !== {before["id"]!r};
        }}"""
    )
    took = host.evaluate("Date.now() - window.unpluggedAt")
    print(f"\nmicrophone gone -> the default one sent: {took} ms (page clock)")
    expect(host.locator("#call-error")).to_contain_text("default microphone")
    expect(host.locator("#toggle-mic")).to_be_enabled()
    expect(guest.locator("#remote-mic-off")).to_be_hidden()
    assert sender_track(host, "audio")["sdp"] == before["sdp"], "no renegotiation"


def test_a_camera_that_goes_away_with_no_other_is_off_and_can_be_picked_again(new_page) -> None:
    host, guest, _ = start_call(new_page, init_script=DEVICES)

    host.evaluate(
        "window.refuse.video = 'NotFoundError'; window.unpluggedAt = Date.now();"
        "window.unplug('video')"
    )

    expect(host.locator("#call-error")).to_contain_text("camera went away")
    guest.wait_for_function("!document.getElementById('remote-camera-off').hidden", polling=10)
    took = guest.evaluate("Date.now()") - host.evaluate("window.unpluggedAt")
    print(f"\ncamera gone, no other -> said here and shown off on the other side within {took} ms")
    expect(host.locator("#toggle-camera")).to_have_attribute("aria-pressed", "true")
    expect(host.locator("#toggle-camera")).to_be_disabled()
    expect(guest.locator("#remote-camera-off")).to_be_visible()  # the truth, not "on"
    assert live_sender(host, "video")["label"] is None
    expect(host.locator("#call-status")).to_have_text(CONNECTED)

    # Plugged in again: the browser says so (devicechange) and the person picks it.
    host.evaluate(
        "window.refuse = {}; navigator.mediaDevices.dispatchEvent(new Event('devicechange'))"
    )
    host.click("#toggle-settings")
    host.select_option("#camera-select", label=OTHER_CAMERA)
    expect_sending(host, OTHER_CAMERA)
    expect(guest.locator("#remote-camera-off")).to_be_hidden()
    expect(host.locator("#toggle-camera")).to_have_attribute("aria-pressed", "false")
    expect_frames_advancing(guest)


def test_switching_camera_on_a_phone_that_opens_one_at_a_time(new_page) -> None:
    host, guest, _ = start_call(new_page, init_script=DEVICES)
    host.evaluate("window.oneCamera = true")
    assert live_sender(host, "video")["label"] == "fake_device_0"

    host.click("#toggle-settings")
    host.select_option("#camera-select", label=OTHER_CAMERA)

    expect_sending(host, OTHER_CAMERA)
    expect(host.locator("#call-error")).to_be_empty()
    expect_frames_advancing(guest)


def test_a_refused_camera_switch_keeps_the_camera_in_use_and_the_picker_says_so(new_page):
    host, guest, _ = start_call(new_page, init_script=DEVICES)
    host.click("#toggle-settings")
    in_use = host.eval_on_selector("#camera-select", "select => select.value")
    host.eval_on_selector(
        "#camera-select",
        "(select, label) => { window.busyCamera = [...select.options]"
        ".find((option) => option.label === label).value; }",
        OTHER_CAMERA,
    )

    host.select_option("#camera-select", label=OTHER_CAMERA)

    expect(host.locator("#call-error")).to_contain_text("could not be started")
    expect(host.locator("#camera-select")).to_have_value(in_use)
    expect_sending(host, "fake_device_0")
    expect_frames_advancing(guest)
