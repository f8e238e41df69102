"""Chat on the peer-to-peer control channel: never through the server, unread badge."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.steps import CODE, expect_remote_video_playing, join_from_home, screenshot


def test_chat_goes_peer_to_peer_with_an_unread_badge(new_page) -> None:
    host = new_page("/", viewport={"width": 1280, "height": 720})
    sent_to_server: list[str] = []
    host.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent_to_server.append(frame)))
    host.click("#new-meeting")
    host.fill("#display-name", "Ada Lovelace")
    host.click("#join-now")
    expect(host.locator("#meeting-code")).to_have_text(CODE, timeout=10_000)
    guest = join_from_home(new_page, host.locator("#meeting-code").inner_text())
    expect_remote_video_playing(host)
    expect_remote_video_playing(guest)

    host.click("#toggle-chat")
    expect(host.locator("#chat-input")).to_be_focused()
    host.fill("#chat-input", "hello from Ada")
    host.press("#chat-input", "Enter")
    host.fill("#chat-input", "second line")
    host.click("#chat-send")
    expect(host.locator("#chat-log li")).to_have_count(2)

    expect(guest.locator("#chat-badge")).to_have_text("2")
    guest.click("#toggle-chat")
    expect(guest.locator("#chat-badge")).to_be_hidden()
    expect(guest.locator("#chat-log li").first).to_have_text("Ada Lovelace: hello from Ada")
    guest.fill("#chat-input", "hi Ada")
    guest.press("#chat-input", "Enter")
    expect(host.locator("#chat-log li").last).to_have_text("Them: hi Ada")
    expect(host.locator("#chat-badge")).to_be_hidden()  # the panel was open
    screenshot(host, "chat")

    assert sent_to_server, "the socket was watched"
    assert not any(
        "hello from Ada" in str(frame) or "Ada" in str(frame) for frame in sent_to_server
    )
