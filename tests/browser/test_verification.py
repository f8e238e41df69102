"""What the two people can check for themselves: the verification code, and whether the
other's microphone or camera is off (told peer to peer, never through the server)."""

from __future__ import annotations

import hashlib
import re

from playwright.sync_api import Page, expect

from tests.browser.steps import join_from_home, on_server, own_server, start_call, start_meeting

CODE_SHAPE = re.compile(r"^\d{4} \d{4} \d{4}$")
FINGERPRINT = re.compile(r"a=fingerprint:(\S+) ([0-9A-Fa-f:]+)")
RECORD_SENT_FRAMES = """
window.sentFrames = [];
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) {
  window.sentFrames.push(String(data));
  return send.call(this, data);
};
"""


def verification_code(page: Page) -> str:
    code = page.locator("#verification-code")
    expect(code).to_have_text(CODE_SHAPE, timeout=20_000)
    return code.inner_text()


def sent_fingerprints(page: Page) -> str:
    """The DTLS fingerprints in the descriptions the page sent, as the code hashes them:
    `sha-256 AB:CD:...`, once each, joined with commas."""
    found: list[str] = []
    for frame in page.evaluate("window.sentFrames"):
        for algorithm, value in FINGERPRINT.findall(frame):
            fingerprint = f"{algorithm.lower()} {value.upper()}"
            if fingerprint not in found:
                found.append(fingerprint)
    return ",".join(found)


def code_of(one: str, other: str) -> str:
    """The verification code of two sides' fingerprints, as docs/protocol.md defines it."""
    digest = hashlib.sha256("\n".join(sorted([one, other])).encode()).digest()
    digits = f"{(int.from_bytes(digest[:4], 'big') * 256 + digest[4]) % 10**12:012d}"
    return " ".join(digits[start : start + 4] for start in range(0, 12, 4))


def test_both_people_see_the_same_verification_code(new_page) -> None:
    host, guest, _ = start_call(new_page, init_script=RECORD_SENT_FRAMES)

    host.click("#toggle-facts")

    expect(host.locator("#facts")).to_be_visible()
    expect(host.locator("#facts")).to_contain_text("nobody is listening in")
    shown = verification_code(host)
    assert verification_code(guest) == shown
    # Derived from the fingerprints the two browsers exchanged: not any code both agree on.
    host_fingerprints, guest_fingerprints = sent_fingerprints(host), sent_fingerprints(guest)
    assert host_fingerprints and guest_fingerprints and host_fingerprints != guest_fingerprints
    assert shown == code_of(host_fingerprints, guest_fingerprints)
    expect(host.locator("#fact-path")).to_contain_text("Direct (UDP)")
    expect(host.locator("#fact-resolution")).to_contain_text("×", timeout=10_000)
    expect(host.locator("#fact-rtt")).to_contain_text("ms")
    expect(host.locator("#quality")).to_be_visible()


def test_codes_differ_when_the_server_alters_a_fingerprint(open_page, tmp_path) -> None:
    with own_server(tmp_path, VISAVIS_TEST_TAMPER_FINGERPRINT="true") as server:
        people = on_server(open_page, server)
        host, code = start_meeting(people)
        guest = join_from_home(people, code)

        # DTLS cannot succeed with a forged fingerprint, but both codes show before that.
        assert verification_code(host) != verification_code(guest)
        # And the failure is explained as what it is.
        expect(host.locator("#call-error")).to_contain_text("verification codes", timeout=60_000)


def test_the_other_side_sees_when_mic_or_camera_is_off(new_page) -> None:
    host, guest, _ = start_call(new_page, init_script=RECORD_SENT_FRAMES)
    mic_off, camera_off = host.locator("#remote-mic-off"), host.locator("#remote-camera-off")
    expect(mic_off).to_be_hidden()
    expect(camera_off).to_be_hidden()

    guest.click("#toggle-mic")
    expect(mic_off).to_be_visible()
    expect(mic_off).to_have_text("Their microphone is off")
    expect(camera_off).to_be_hidden()

    guest.click("#toggle-camera")
    guest.click("#toggle-mic")
    expect(camera_off).to_be_visible()
    expect(mic_off).to_be_hidden()
    expect(guest.locator("#remote-camera-off")).to_be_hidden()
    # Told peer to peer: nothing about it went through the server.
    for page in (host, guest):
        sent = page.evaluate("window.sentFrames")
        assert any('"signal"' in frame for frame in sent), "the recorder sees the socket"
        assert not any('"mic"' in frame for frame in sent)
