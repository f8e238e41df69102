"""Audio only and noise suppression in real Chromium: what each side sends and receives is
read from getStats, the microphone's processing from its track's settings. The data saver
is in test_data_saver.py (a camera of noise)."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from tests.browser.steps import (
    MEDIA_TIMEOUT,
    expect_frames_advancing,
    screenshot,
    start_call,
)

# Bytes of video (RTP payload) this page has sent and received on its connection so far.
VIDEO_BYTES = """async () => {
    const totals = {sent: 0, received: 0};
    for (const report of (await window.visavis.peerConnection.getStats()).values()) {
        if (report.kind !== 'video') continue;
        if (report.type === 'outbound-rtp') totals.sent += report.bytesSent;
        if (report.type === 'inbound-rtp') totals.received += report.bytesReceived;
    }
    return totals;
}"""
MIC_SETTINGS = """() => {
    const video = document.getElementById('lobby-video');
    const settings = video.srcObject?.getAudioTracks()[0]?.getSettings();
    return settings ? {echoCancellation: settings.echoCancellation,
                       noiseSuppression: settings.noiseSuppression} : null;
}"""
QUIET_BYTES = 2_000  # per 2 s: RTP payload with no track is none; allow a stray frame


def video_bytes_over(page: Page, seconds: float) -> dict[str, int]:
    first = page.evaluate(VIDEO_BYTES)
    time.sleep(seconds)
    last = page.evaluate(VIDEO_BYTES)
    return {way: last[way] - first[way] for way in ("sent", "received")}


def expect_video_flowing(page: Page) -> None:
    """Video goes out and comes in: both byte counts grow."""
    page.wait_for_function(
        f"""async () => {{
            const first = await ({VIDEO_BYTES})();
            await new Promise((done) => setTimeout(done, 1000));
            const last = await ({VIDEO_BYTES})();
            return last.sent - first.sent > {QUIET_BYTES} &&
                last.received - first.received > {QUIET_BYTES};
        }}""",
        timeout=MEDIA_TIMEOUT,
        polling=500,
    )


def test_audio_only_stops_video_both_ways_and_video_comes_back_by_each_persons_choice(
    new_page,
) -> None:
    host, guest, _ = start_call(new_page)
    expect_video_flowing(host)
    expect_video_flowing(guest)
    host_camera = host.evaluate_handle(
        """() => window.visavis.peerConnection.getSenders()
             .find((s) => s.track?.kind === 'video').track"""
    )
    guest_camera = guest.evaluate_handle(
        """() => window.visavis.peerConnection.getSenders()
             .find((s) => s.track?.kind === 'video').track"""
    )
    local_sdp = host.evaluate("window.visavis.peerConnection.localDescription.sdp")

    host.click("#toggle-audio-only")
    expect(host.locator("#toggle-audio-only")).to_have_attribute("aria-pressed", "true")
    expect(guest.locator("#toggle-audio-only")).to_have_attribute("aria-pressed", "true")
    expect(guest.locator("#audio-only-note")).to_have_text(
        "The other person switched the call to audio only."
    )
    # Both cameras are stopped (their light goes off), not just disabled.
    for camera in (host_camera, guest_camera):
        assert camera.evaluate("track => track.readyState") == "ended"
    expect(host.locator("#remote-avatar")).to_be_visible()
    expect(guest.locator("#remote-avatar")).to_be_visible()
    time.sleep(1)  # frames already in flight arrive
    for page in (host, guest):
        moved = video_bytes_over(page, 2)
        assert moved["sent"] < QUIET_BYTES and moved["received"] < QUIET_BYTES, moved
    assert host.evaluate("window.visavis.peerConnection.localDescription.sdp") == local_sdp, (
        "audio only renegotiates nothing"
    )
    screenshot(guest, "audio-only")

    # The host turns video back on: their camera opens again; the guest's stays off until
    # the guest chooses, and the guest reads that the host sends video again.
    host.click("#toggle-audio-only")
    expect(host.locator("#toggle-audio-only")).to_have_attribute("aria-pressed", "false")
    expect(guest.locator("#audio-only-note")).to_have_text(
        "The other person switched video back on. Press Audio only to send yours too."
    )
    expect(guest.locator("#toggle-audio-only")).to_have_attribute("aria-pressed", "true")
    expect_frames_advancing(guest)
    expect(guest.locator("#remote-avatar")).to_be_hidden()
    expect(host.locator("#remote-avatar")).to_be_visible()
    moved = video_bytes_over(guest, 2)
    assert moved["received"] > QUIET_BYTES and moved["sent"] < QUIET_BYTES, moved

    guest.click("#toggle-audio-only")
    expect(guest.locator("#toggle-audio-only")).to_have_attribute("aria-pressed", "false")
    expect(guest.locator("#audio-only-note")).to_be_hidden()
    expect_video_flowing(host)
    expect_video_flowing(guest)
    expect(host.locator("#remote-avatar")).to_be_hidden()
    assert host.evaluate("window.visavis.peerConnection.localDescription.sdp") == local_sdp


def test_a_page_that_joins_an_audio_only_call_sends_no_video(new_page) -> None:
    host, guest, code = start_call(new_page)
    host.click("#toggle-audio-only")
    expect(guest.locator("#toggle-audio-only")).to_have_attribute("aria-pressed", "true")
    guest.reload()  # a fresh page and connection: told again when its control channel opens
    expect(guest.locator("#toggle-audio-only")).to_have_attribute(
        "aria-pressed", "true", timeout=MEDIA_TIMEOUT
    )
    guest.wait_for_function(
        """() => window.visavis.peerConnection?.connectionState === 'connected' &&
             !window.visavis.peerConnection.getSenders().some((s) => s.track?.kind === 'video')""",
        timeout=MEDIA_TIMEOUT,
    )
    time.sleep(1)
    moved = video_bytes_over(guest, 2)
    assert moved["sent"] < QUIET_BYTES and moved["received"] < QUIET_BYTES, moved


def test_noise_suppression_follows_the_lobby_switch_and_echo_cancellation_stays_on(
    new_page,
) -> None:
    lobby = new_page("/")
    lobby.click("#new-meeting")
    lobby.wait_for_function(f"({MIC_SETTINGS})() !== null")
    assert lobby.evaluate(MIC_SETTINGS) == {"echoCancellation": True, "noiseSuppression": True}
    expect(lobby.locator("#noise-suppression")).to_be_checked()

    lobby.uncheck("#noise-suppression")
    lobby.wait_for_function(f"({MIC_SETTINGS})()?.noiseSuppression === false")
    assert lobby.evaluate(MIC_SETTINGS)["echoCancellation"] is True

    lobby.reload()  # remembered: the first microphone of the next lobby has it off
    lobby.click("#new-meeting")
    lobby.wait_for_function(f"({MIC_SETTINGS})() !== null")
    assert lobby.evaluate(MIC_SETTINGS) == {"echoCancellation": True, "noiseSuppression": False}
    expect(lobby.locator("#noise-suppression")).not_to_be_checked()
