"""A phone in portrait, and accessibility: names, visible focus, colour scheme, motion."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.steps import (
    CODE,
    expect_remote_video_playing,
    join_from_home,
    screenshot,
    start_call,
)

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def expect_fits(page: Page, scrolls: bool = False) -> None:
    """No horizontal scroll, and every visible button lies inside the screen (only its
    width when the page `scrolls` vertically)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    outside = page.evaluate(
        """(scrolls) => [...document.querySelectorAll('button')]
             .filter((b) => b.checkVisibility())
             .map((b) => [b.id, b.getBoundingClientRect()])
             .filter(([, r]) => r.left < 0 || r.right > innerWidth ||
                               (!scrolls && (r.top < 0 || r.bottom > innerHeight)))
             .map(([id]) => id)""",
        scrolls,
    )
    assert outside == [], outside


def test_a_call_on_a_phone_in_portrait(new_page) -> None:
    host = new_page("/", **PHONE)
    expect_fits(host)
    host.click("#new-meeting")
    host.wait_for_function("document.getElementById('lobby-video').videoWidth > 0")
    expect_fits(host, scrolls=True)
    # Join now is on the first screen: devices and the connection check come after it.
    join_bottom = host.evaluate(
        "document.getElementById('join-now').getBoundingClientRect().bottom"
    )
    assert join_bottom <= 844, join_bottom
    screenshot(host, "lobby-phone")
    host.click("#join-now")
    expect(host.locator("#meeting-code")).to_have_text(CODE, timeout=10_000)
    guest = join_from_home(new_page, host.locator("#meeting-code").inner_text(), **PHONE)
    expect_remote_video_playing(host)
    expect_remote_video_playing(guest)
    expect_fits(guest)
    for video in ("remote-video", "local-video", "lobby-video"):
        expect(guest.locator(f"#{video}")).to_have_attribute("playsinline", "")
    screenshot(guest, "call-phone")
    guest.tap("#toggle-mic")
    expect(guest.locator("#toggle-mic")).to_have_attribute("aria-pressed", "true")


def test_controls_have_names_and_focus_shows(new_page) -> None:
    host, guest, _ = start_call(new_page, viewport={"width": 1280, "height": 720})
    screenshot(host, "call-desktop")
    unnamed = host.evaluate(
        """() => [...document.querySelectorAll('button, input, select')]
             .filter((el) => el.checkVisibility())
             .filter((el) => !(el.labels?.[0]?.textContent.trim() ||
                               el.getAttribute('aria-label') || el.textContent.trim()))
             .map((el) => el.id)"""
    )
    assert unnamed == []
    host.focus("#toggle-mic")
    host.keyboard.press("Tab")
    outline = host.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_dark_scheme_and_reduced_motion_are_honoured(new_page) -> None:
    page = new_page("/")
    light = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.emulate_media(color_scheme="dark")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != light
    transition = "getComputedStyle(document.getElementById('new-meeting')).transitionDuration"
    assert page.evaluate(transition) != "0s"
    page.emulate_media(reduced_motion="reduce")
    assert set(page.evaluate(transition).split(", ")) == {"0s"}
