"""Send a file: straight to the other person over a DataChannel, accepted first, checked by
SHA-256 on arrival; declining and cancelling leave both sides able to go on."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import screenshot, start_call

TRANSFER_TIMEOUT = 90_000  # ms: 20 MB over loopback DTLS/SCTP on a machine shared by many


def open_chat(page: Page) -> None:
    if page.locator("#chat").is_hidden():
        page.click("#toggle-chat")
    # file-view.js loads on the first opening: slow on a loaded machine.
    expect(page.locator("#file-send")).to_be_visible(timeout=TRANSFER_TIMEOUT)


def choose_file(page: Page, path: Path) -> None:
    """What "Send a file" does after the person picked `path` in the file dialog (a local
    browser reads the file itself: nothing goes through Playwright's pipe)."""
    open_chat(page)
    page.set_input_files("#file-input", files=[path], timeout=TRANSFER_TIMEOUT)


def random_file(folder: Path, name: str, size: int) -> Path:
    path = folder / name
    path.write_bytes(os.urandom(size))
    return path


def drop_file(page: Page, name: str, size: int) -> bool:
    """Drop a file of `size` bytes made in the page on the call; whether the page took the
    drag (the browser would otherwise open the file in place of the call)."""
    return page.evaluate(
        """([name, size]) => {
            const bytes = new Uint8Array(size);
            for (let at = 0; at < size; at += 65536) {
                crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65536)));
            }
            const data = new DataTransfer();
            data.items.add(new File([bytes], name));
            const view = document.getElementById('call-view');
            const init = {dataTransfer: data, bubbles: true, cancelable: true};
            const over = new DragEvent('dragover', init);
            view.dispatchEvent(over);
            view.dispatchEvent(new DragEvent('drop', init));
            return over.defaultPrevented;
        }""",
        [name, size],
    )


def file_channels(page: Page) -> list[dict]:
    """The connection's file DataChannels (`file-<id>`), from its stats."""
    return page.evaluate(
        """async () => [...(await window.visavis.peerConnection.getStats()).values()]
            .filter((s) => s.type === 'data-channel' && s.label.startsWith('file-'))
            .map(({label, bytesSent, messagesSent}) => ({label, bytesSent, messagesSent}))"""
    )


def transfer_id(page: Page, index: int = -1) -> str:
    return transfer(page, index).get_attribute("data-transfer") or ""


def transfer(page: Page, index: int = -1):
    """A transfer's line in the chat log (the last one by default)."""
    return page.locator("#chat-log li.file").nth(index)


def saved_bytes(page: Page, line) -> bytes:
    """What the Save link gives the person: the browser's download of it."""
    with page.expect_download() as info:
        line.locator("a.file-save").click()
    return Path(info.value.path()).read_bytes()


def expect_chat_goes_through(sender: Page, receiver: Page, text: str) -> None:
    open_chat(sender)
    sender.fill("#chat-input", text)
    sender.press("#chat-input", "Enter")
    expect(receiver.locator("#chat-log li:not(.file)").last).to_have_text(f"Them: {text}")


def send_and_save(sender: Page, receiver: Page, path: Path) -> None:
    """A file offered, accepted, arrived and saved identical."""
    choose_file(sender, path)
    line = transfer(receiver)
    open_chat(receiver)
    expect(line.locator(".file-name")).to_have_text(path.name, timeout=TRANSFER_TIMEOUT)
    line.locator(".file-accept").click()
    expect(line.locator("a.file-save")).to_be_visible(timeout=TRANSFER_TIMEOUT)
    assert saved_bytes(receiver, line) == path.read_bytes()


def test_a_20_mb_file_arrives_identical_and_not_through_the_server(
    new_page, tmp_path: Path
) -> None:
    to_server: list[int] = []

    def watched_page(*args, **options) -> Page:
        # The socket opens in the lobby, after this listener is in place.
        page = new_page(*args, **options)
        page.on(
            "websocket",
            lambda ws: ws.on("framesent", lambda frame: to_server.append(len(str(frame)))),
        )
        return page

    host, guest, _ = start_call(watched_page)
    before = sum(to_server)
    assert before, "the sockets are watched"
    open_chat(host)
    expect(host.locator(".file-limit")).to_contain_text("up to 100 MB")
    source = random_file(tmp_path, "random bytes.bin", 20_000_000)
    choose_file(host, source)

    # An offer is news too; it comes once the file is hashed (long on a loaded machine).
    expect(guest.locator("#chat-badge")).to_have_text("1", timeout=TRANSFER_TIMEOUT)
    open_chat(guest)
    offer = transfer(guest)
    expect(offer.locator(".file-name")).to_have_text("random bytes.bin")
    expect(offer.locator(".file-size")).to_have_text("20 MB")
    expect(offer.locator(".file-status")).to_have_text("They want to send you this file.")
    expect(transfer(host).locator(".file-status")).to_have_text("Waiting for them to accept…")
    assert file_channels(host) == [], "nothing is sent before they accept"

    started = time.monotonic()
    offer.locator(".file-accept").click()
    expect(transfer(host).locator("progress")).to_be_visible()
    # The positive control of "nothing before accept": now its channel is there.
    deadline = time.monotonic() + TRANSFER_TIMEOUT / 1000
    while not (channels := file_channels(host)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [channel["label"] for channel in channels] == [f"file-{transfer_id(guest)}"]
    expect(offer.locator("a.file-save")).to_be_visible(timeout=TRANSFER_TIMEOUT)
    seconds = time.monotonic() - started
    print(f"\n20 MB file: accept to saved-and-checked in {seconds:.2f} s")
    expect(offer.locator(".file-status")).to_have_text("Arrived intact.")
    expect(transfer(host).locator(".file-status")).to_have_text("Sent: it arrived intact.")

    saved = saved_bytes(guest, offer)
    assert len(saved) == 20_000_000
    assert hashlib.sha256(saved).hexdigest() == hashlib.sha256(source.read_bytes()).hexdigest()
    assert sum(to_server) - before < 20_000, "the file never went through the server"
    assert file_channels(host) == [], "its channel closed once it arrived"


def test_declining_leaves_both_sides_usable(new_page, tmp_path: Path) -> None:
    host, guest, _ = start_call(new_page, viewport={"width": 1280, "height": 720})
    choose_file(host, random_file(tmp_path, "holiday photos.zip", 300_000))
    open_chat(guest)
    offer = transfer(guest)
    expect(offer.locator(".file-decline")).to_be_visible(timeout=TRANSFER_TIMEOUT)
    offer.locator(".file-decline").click()
    expect(offer.locator(".file-status")).to_have_text("You declined it.")
    expect(transfer(host).locator(".file-status")).to_have_text("They declined it.")
    expect(offer.locator("button")).to_have_count(0)

    expect_chat_goes_through(guest, host, "sorry, not now")
    expect_chat_goes_through(host, guest, "fine, a smaller one")
    send_and_save(host, guest, random_file(tmp_path, "notes.txt", 200_000))

    # A name is text, never markup, and a long one ends in an ellipsis (whole in the title).
    long_name = "<img src=x onerror=alert(1)> minutes of the meeting, final version 3.pdf"
    choose_file(host, random_file(tmp_path, long_name, 50_000))
    offer = transfer(guest)
    name = offer.locator(".file-name")
    expect(name).to_have_text(long_name, timeout=TRANSFER_TIMEOUT)
    expect(name).to_have_attribute("title", long_name)
    expect(offer.locator("img")).to_have_count(0)
    assert name.evaluate("el => el.scrollWidth > el.clientWidth"), "ellipsized"
    expect(offer.locator(".file-accept")).to_be_visible()
    screenshot(guest, "file-send")


@pytest.mark.parametrize("canceller", ["sender", "receiver"])
def test_cancelling_mid_transfer_leaves_both_sides_usable(
    new_page, tmp_path: Path, canceller: str
) -> None:
    host, guest, _ = start_call(new_page)
    open_chat(host)
    assert drop_file(host, "big.bin", 90_000_000), "the call view takes a dragged file"
    open_chat(guest)
    offer = transfer(guest)
    expect(offer.locator(".file-name")).to_have_text("big.bin", timeout=TRANSFER_TIMEOUT)
    offer.locator(".file-accept").click()
    # Mid-transfer: some bytes have arrived, not all.
    guest.wait_for_function(
        """() => {
            const bar = document.querySelector('#chat-log li.file progress');
            return bar && bar.value > 0;
        }""",
        timeout=TRANSFER_TIMEOUT,
    )
    page, other = (host, guest) if canceller == "sender" else (guest, host)
    transfer(page).locator(".file-cancel").click()
    expect(transfer(page).locator(".file-status")).to_have_text("You cancelled it.")
    expect(transfer(other).locator(".file-status")).to_have_text("They cancelled it.")
    expect(offer.locator("a.file-save")).to_have_count(0)
    for side in (host, guest):
        assert side.evaluate("window.visavis.peerConnection.connectionState") == "connected"

    expect_chat_goes_through(guest, host, "still here")
    expect_chat_goes_through(host, guest, "me too")
    send_and_save(guest, host, random_file(tmp_path, "after.bin", 100_000))
