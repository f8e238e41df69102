"""The lobby before joining: camera preview, microphone level, device pickers, mic and
camera on or off, an optional name that only the other person sees."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.steps import (
    CODE,
    expect_remote_video_playing,
    join_from_home,
    screenshot,
    seated,
    sender_track,
)


def test_the_lobby_previews_camera_and_microphone_and_lists_devices(new_page) -> None:
    page = new_page("/")
    for words in ("Private", "1-on-1", "peer-to-peer"):
        expect(page.locator("#home-view .tagline")).to_contain_text(words)
    screenshot(page, "home")
    page.click("#new-meeting")

    expect(page.locator("#lobby-view")).to_be_visible()
    page.wait_for_function("document.getElementById('lobby-video').videoWidth > 0")
    # The fake microphone beeps: the meter moves.
    page.wait_for_function("document.getElementById('mic-level').value > 0.05", timeout=10_000)
    expect(page.locator("#camera-select option")).to_contain_text(["fake_device_0"])
    expect(page.locator("#mic-select")).to_contain_text("Fake Audio Input 1")
    expect(page.locator("#speaker-select")).to_contain_text("Fake Audio Output 1")
    assert not seated(page), "nobody takes a seat before Join now"
    page.fill("#display-name", "Ada")
    screenshot(page, "lobby")


def test_choices_made_in_the_lobby_carry_into_the_call(new_page) -> None:
    host = new_page("/")
    host.click("#new-meeting")
    host.click("#lobby-camera")
    expect(host.locator("#lobby-camera")).to_have_attribute("aria-pressed", "true")
    host.select_option("#mic-select", label="Fake Audio Input 2")
    host.wait_for_function(
        """document.getElementById('lobby-video').srcObject
             .getAudioTracks()[0].label === 'Fake Audio Input 2'"""
    )
    host.fill("#display-name", "Ada Lovelace")
    host.click("#join-now")
    expect(host.locator("#meeting-code")).to_have_text(CODE, timeout=10_000)
    code = host.locator("#meeting-code").inner_text()
    expect(host.locator("#toggle-camera")).to_have_attribute("aria-pressed", "true")

    guest = join_from_home(new_page, code)
    expect(guest.locator("#remote-name")).to_have_text("Ada Lovelace", timeout=20_000)
    expect(guest.locator("#remote-camera-off")).to_be_visible()
    assert sender_track(host, "audio")["label"] == "Fake Audio Input 2"
    # The name goes to the other person only; this browser keeps it for the tab at most.
    assert "Ada" not in host.evaluate("JSON.stringify(localStorage)")


def test_a_link_opens_the_lobby_and_joins_only_on_request(new_page) -> None:
    host = new_page("/")
    host.click("#new-meeting")
    host.click("#join-now")
    expect(host.locator("#meeting-code")).to_have_text(CODE, timeout=10_000)
    code = host.locator("#meeting-code").inner_text()

    guest = new_page(f"/{code}")
    expect(guest.locator("#lobby-view")).to_be_visible()
    expect(guest.locator("#lobby-meeting")).to_contain_text(code)
    guest.wait_for_timeout(500)
    assert not seated(guest)
    guest.click("#join-now")
    expect_remote_video_playing(guest)
    expect_remote_video_playing(host)
