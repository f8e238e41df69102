"""In the call: screen share, switching devices, a headset plugged in, keyboard shortcuts
and their help, sharing the link, and what to do when the other person left."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.steps import (
    CONNECTED,
    MEDIA_TIMEOUT,
    expect_frames_advancing,
    expect_remote_video_playing,
    join_from_home,
    screenshot,
    sender_track,
    start_call,
    start_meeting,
)

# A headset that appears once the test says it is plugged in.
HEADSET = """
const list = MediaDevices.prototype.enumerateDevices;
MediaDevices.prototype.enumerateDevices = async function () {
  const devices = await list.call(this);
  return window.headset ? [...devices, {kind: 'audioinput', deviceId: 'headset',
    groupId: 'headset', label: 'Test Headset'}] : devices;
};
"""
SHARE = "navigator.share = async (data) => { window.shared = data; };"


def test_screen_share_replaces_the_camera_and_ends_with_the_browser_bar(new_page) -> None:
    host, guest, _ = start_call(new_page)
    camera = sender_track(host, "video")

    host.click("#toggle-screen")
    expect(host.locator("#toggle-screen")).to_have_attribute("aria-pressed", "true")
    shared = sender_track(host, "video")
    assert shared["label"].startswith("screen"), shared["label"]
    assert shared["sdp"] == camera["sdp"], "replaceTrack needs no new offer"
    expect(host.locator("#local-video")).to_have_class("screen")  # you see what you share
    expect_frames_advancing(guest)

    # The browser's own "Stop sharing" ends the track: the camera is sent again.
    host.evaluate(
        """() => window.visavis.peerConnection.getSenders()
             .find((s) => s.track?.label.startsWith('screen'))
             .track.dispatchEvent(new Event('ended'))"""
    )
    expect(host.locator("#toggle-screen")).to_have_attribute("aria-pressed", "false")
    assert sender_track(host, "video")["id"] == camera["id"]
    expect(host.locator("#local-video")).not_to_have_class("screen")
    expect_frames_advancing(guest)


def test_microphone_and_speaker_switch_mid_call_and_a_new_headset_is_listed(new_page) -> None:
    host, guest, _ = start_call(new_page, init_script=HEADSET)
    before = sender_track(host, "audio")

    host.click("#toggle-settings")
    expect(host.locator("#settings")).to_be_visible()
    screenshot(host, "devices")
    host.select_option("#mic-select", label="Fake Audio Input 2")
    host.wait_for_function(
        """() => window.visavis.peerConnection.getSenders()
             .some((s) => s.track?.label === 'Fake Audio Input 2')"""
    )
    assert sender_track(host, "audio")["sdp"] == before["sdp"]

    # The speaker: the other person's audio goes to the chosen output (setSinkId).
    host.select_option("#speaker-select", label="Fake Audio Output 1")
    host.wait_for_function(
        """document.getElementById('remote-video').sinkId ===
             document.getElementById('speaker-select').value"""
    )
    assert host.evaluate("document.getElementById('remote-video').sinkId") not in ("", "default")

    host.evaluate(
        "window.headset = true; navigator.mediaDevices.dispatchEvent(new Event('devicechange'))"
    )
    expect(host.locator("#mic-select")).to_contain_text("Test Headset")
    expect(host.locator("#call-status")).to_have_text(CONNECTED)


def test_keyboard_shortcuts_are_listed_and_work(new_page) -> None:
    host, guest, _ = start_call(new_page)
    host.click("#toggle-help")
    expect(host.locator("#help")).to_be_visible()
    expect(host.locator("#help")).to_contain_text("Hang up")
    expect(host.locator("#help")).to_contain_text("Audio only on or off")
    host.keyboard.press("Escape")
    expect(host.locator("#help")).to_be_hidden()

    host.keyboard.press("m")
    expect(host.locator("#toggle-mic")).to_have_attribute("aria-pressed", "true")
    host.keyboard.press("v")
    expect(host.locator("#toggle-camera")).to_have_attribute("aria-pressed", "true")
    expect(guest.locator("#remote-camera-off")).to_be_visible()
    # Audio only last: switching it off reopens the camera, which a V right after would race.
    host.keyboard.press("a")
    expect(host.locator("#toggle-audio-only")).to_have_attribute("aria-pressed", "true")
    host.keyboard.press("a")
    expect(host.locator("#toggle-audio-only")).to_have_attribute("aria-pressed", "false")
    host.keyboard.press("Shift+H")
    expect(host.locator("#left-view")).to_be_visible()


def test_the_link_is_shared_while_waiting_and_the_peer_left_state_offers_wait_or_leave(
    new_page, server_url
) -> None:
    host, code = start_meeting(new_page, init_script=SHARE)
    link = f"{server_url}/{code}"
    expect(host.locator("#share-link")).to_have_value(link)
    expect(host.locator("#share-link")).to_be_visible()
    host.click("#share-meeting")
    host.wait_for_function("window.shared")
    assert host.evaluate("window.shared.url") == link
    host.click("#copy-link")
    expect(host.locator("#copy-feedback")).not_to_be_empty()

    guest = join_from_home(new_page, code)
    expect_remote_video_playing(host)
    guest.click("#hang-up")
    expect(host.locator("#peer-left-actions")).to_be_visible(timeout=5_000)
    host.click("#keep-waiting")
    expect(host.locator("#peer-left-actions")).to_be_hidden()
    expect(host.locator("#share-link")).to_be_visible()

    guest.click("#rejoin")
    expect_remote_video_playing(host, MEDIA_TIMEOUT)
    guest.click("#hang-up")
    host.click("#leave-call")
    expect(host.locator("#left-view")).to_be_visible()
