"""Data saver in real Chromium: the video bitrate read from getStats over a few seconds, the
cap from the sender's parameters. The camera films noise, which no encoder can squeeze, so
without the cap the call sends far more than it (the fake camera's test pattern needs
barely 300 kbit/s, so it could not show that the cap works)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from tests.browser.steps import MEDIA_TIMEOUT, restart_ice, start_call
from tests.browser.test_audio_only import VIDEO_BYTES
from tests.chromium import CHROMIUM, CHROMIUM_ARGS

CAP_KBPS = 300  # bandwidth.js DATA_SAVER.maxBitrate
# The video sender's first encoding, as the page's connection holds it now.
VIDEO_ENCODING = """() => {
    const transceiver = window.visavis.peerConnection?.getTransceivers()
        .find((t) => t.receiver.track.kind === 'video');
    return transceiver?.sender.getParameters().encodings[0] ?? null;
}"""
CAPPED = f"() => ({VIDEO_ENCODING})()?.maxBitrate === {CAP_KBPS * 1000}"


def noise_video(path: Path, width: int = 640, height: int = 360, frames: int = 10) -> Path:
    """A Y4M file of random frames (Chromium loops it as the camera)."""
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + os.urandom(width * height * 3 // 2))
    return path


@pytest.fixture(scope="module")
def browser(playwright: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    video = noise_video(tmp_path_factory.mktemp("camera") / "noise.y4m")
    args = [*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={video}"]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
    yield browser
    browser.close()


def video_sent_kbps(page: Page, seconds: float) -> float:
    """Video kbit/s this page sent over `seconds`, from two getStats readings."""
    first = page.evaluate(VIDEO_BYTES)["sent"]
    started = time.monotonic()
    time.sleep(seconds)
    last = page.evaluate(VIDEO_BYTES)["sent"]
    return (last - first) * 8 / 1000 / (time.monotonic() - started)


def test_data_saver_caps_the_video_at_once_and_keeps_the_cap(new_page) -> None:
    host, guest, _ = start_call(new_page)
    time.sleep(3)  # past the 720p step (media.js) and the estimate's first climb
    uncapped = video_sent_kbps(host, 4)
    assert host.evaluate(VIDEO_ENCODING).get("maxBitrate") is None

    host.click("#toggle-settings")
    host.check("#data-saver")
    expect(host.locator("#data-saver-note")).to_have_text(
        f"Data saver: video limited to {CAP_KBPS} kbit/s at 15 frames per second."
    )
    host.wait_for_function(CAPPED)
    assert host.evaluate(VIDEO_ENCODING)["maxFramerate"] == 15
    time.sleep(2)  # the encoder settles to the new target
    capped = video_sent_kbps(host, 4)
    print(f"video sent: {uncapped:.0f} kbit/s uncapped, {capped:.0f} kbit/s with data saver")
    assert capped < CAP_KBPS, capped
    # Positive control: without the cap the noise goes out faster (measured: 680 kbit/s).
    assert uncapped > CAP_KBPS, f"without the cap it sends only {uncapped:.0f} kbit/s"

    # Kept across an ICE restart and across a new connection (the guest reloads).
    restart_ice(host, guest)
    assert host.evaluate(VIDEO_ENCODING)["maxBitrate"] == CAP_KBPS * 1000
    old = host.evaluate("window.visavis.peerConnection.localDescription.sdp")
    guest.reload()
    host.wait_for_function(
        """old => window.visavis.peerConnection?.connectionState === 'connected' &&
             window.visavis.peerConnection.localDescription.sdp !== old""",
        arg=old,
        timeout=MEDIA_TIMEOUT,
    )
    host.wait_for_function(CAPPED)
    time.sleep(3)  # past the new connection's 720p step
    assert host.evaluate(VIDEO_ENCODING)["maxBitrate"] == CAP_KBPS * 1000
    assert video_sent_kbps(host, 3) < CAP_KBPS

    # Remembered on this device: another tab's lobby has it on.
    lobby = host.context.new_page()
    lobby.goto(host.url)
    expect(lobby.locator("#data-saver")).to_be_checked()
    lobby.close()
    host.uncheck("#data-saver")
    host.wait_for_function(f"() => ({VIDEO_ENCODING})()?.maxBitrate === undefined")
    expect(host.locator("#data-saver-note")).to_be_hidden()
