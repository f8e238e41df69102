"""Codes pasted from other apps: look-alike dashes, invisible characters and punctuation
around the code are read as people mean them (tests/shared/protocol-facts.json has the rules)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.steps import expect_remote_video_playing, start_meeting

# What a word processor or chat app makes of "abcd-efgh-jkmn": en dashes, a soft hyphen,
# a zero-width space, curly quotes and a full stop.
MANGLED = "\u201c{0}\u2013{1}\u00ad\u2013{2}\u200b\u201d."


def test_a_code_pasted_from_a_chat_app_joins_the_meeting(new_page, server_url) -> None:
    host, code = start_meeting(new_page)
    guest = new_page("/")
    guest.fill("#join-code", MANGLED.format(*code.upper().split("-")))
    guest.click("#join")
    expect(guest).to_have_url(f"{server_url}/{code}")
    guest.click("#join-now")
    expect_remote_video_playing(guest)
    expect_remote_video_playing(host)


def test_a_link_with_a_dash_from_another_app_opens_the_meeting(new_page, server_url) -> None:
    host, code = start_meeting(new_page)
    guest = new_page("/" + code.replace("-", "\u2011"))  # non-breaking hyphens in the link
    expect(guest.locator("#lobby-meeting")).to_contain_text(code)
