"""Two people meet in a real browser; a third finds the meeting full; one hangs up."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.steps import (
    MEDIA_TIMEOUT,
    expect_remote_video_playing,
    join_by_link,
    join_from_home,
    start_meeting,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO_ROOT / "build" / "screenshots" / "call.png"
PEER_LEFT = "The other person left."
DENY_MEDIA = """
navigator.mediaDevices.getUserMedia = async () => {
  throw new DOMException('Permission denied', 'NotAllowedError');
};
"""


def local_tracks_enabled(page: Page, kind: str) -> list[bool]:
    return page.evaluate(
        """kind => document.getElementById('local-video').srcObject
               .getTracks().filter(t => t.kind === kind).map(t => t.enabled)""",
        kind,
    )


def test_two_people_see_each_other_and_the_meeting_is_private(new_page, server_url) -> None:
    # Arrange: A starts a meeting, B joins it with the code typed on the home page.
    host, code = start_meeting(new_page)
    guest = join_from_home(new_page, code)

    # Both receive and decode the other's camera.
    expect(guest).to_have_url(f"{server_url}/{code}")
    expect_remote_video_playing(host)
    expect_remote_video_playing(guest)
    expect(host.locator("#call-status")).to_have_text("Connected.")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    host.screenshot(path=str(SCREENSHOT))

    # B mutes the microphone and turns the camera off.
    assert local_tracks_enabled(guest, "audio") == [True]
    assert local_tracks_enabled(guest, "video") == [True]
    guest.click("#toggle-mic")
    guest.click("#toggle-camera")
    expect(guest.locator("#toggle-mic")).to_have_attribute("aria-pressed", "true")
    expect(guest.locator("#toggle-camera")).to_have_attribute("aria-pressed", "true")
    assert local_tracks_enabled(guest, "audio") == [False]
    assert local_tracks_enabled(guest, "video") == [False]

    # A third person opening the link is turned away.
    intruder = join_by_link(new_page, code)
    expect(intruder.locator("#call-error")).to_contain_text("full", timeout=10_000)
    expect(host.locator("#call-status")).to_have_text("Connected.")

    # B hangs up: A is told and keeps waiting; B sees the "you left" view.
    guest.click("#hang-up")
    expect(guest.locator("#left-view")).to_be_visible()
    expect(host.locator("#call-status")).to_contain_text(PEER_LEFT, timeout=5_000)
    expect(host.locator("#share-link")).to_have_value(f"{server_url}/{code}")
    assert host.evaluate("document.getElementById('remote-video').srcObject") is None


def test_a_wrong_code_is_explained_without_leaving_home(new_page, server_url) -> None:
    page = new_page("/")

    page.fill("#join-code", "not a code")
    page.click("#join")

    expect(page.locator("#home-error")).to_contain_text("abcd-efgh-jkmn")
    expect(page.locator("#home-view")).to_be_visible()
    expect(page).to_have_url(f"{server_url}/")


def test_an_unknown_meeting_is_reported(new_page) -> None:
    page = join_by_link(new_page, "zzzz-zzzz-zzzz")

    expect(page.locator("#call-error")).to_contain_text("not found or expired", timeout=10_000)


def test_a_reload_takes_the_seat_back(new_page) -> None:
    host, code = start_meeting(new_page)
    guest = join_from_home(new_page, code)
    expect(guest.locator("#call-status")).to_have_text("Connected.", timeout=MEDIA_TIMEOUT)

    guest.reload()

    # Without the resume token the old seat, kept for its grace period, would make it "full".
    expect_remote_video_playing(guest)
    expect_remote_video_playing(host)
    expect(guest.locator("#call-error")).to_be_empty()


def test_without_camera_and_microphone_the_call_still_receives(new_page) -> None:
    host, code = start_meeting(new_page)

    guest = join_from_home(new_page, code, init_script=DENY_MEDIA)

    expect(guest.locator("#call-error")).to_contain_text("blocked")
    expect_remote_video_playing(guest)
    expect(guest.locator("#toggle-mic")).to_be_disabled()
    expect(guest.locator("#toggle-camera")).to_be_disabled()


def test_after_hanging_up_the_guest_can_rejoin(new_page) -> None:
    host, code = start_meeting(new_page)
    guest = join_from_home(new_page, code)
    expect(guest.locator("#call-status")).to_have_text("Connected.", timeout=MEDIA_TIMEOUT)
    guest.click("#hang-up")
    expect(host.locator("#call-status")).to_contain_text(PEER_LEFT, timeout=5_000)

    guest.click("#rejoin")

    expect_remote_video_playing(guest)
    expect_remote_video_playing(host)
    expect(host.locator("#call-status")).to_have_text("Connected.")
