"""The meeting link's QR code in the waiting view: decoded from a screenshot by a real
decoder (zxing-cpp), it gives back the link; a code of another link does not."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image
from playwright.sync_api import Locator, expect

from tests.browser.steps import expect_remote_video_playing, join_by_link, screenshot, start_meeting


def decoded(element: Locator) -> list[str]:
    """The texts of the QR codes a decoder finds in a screenshot of `element`."""
    image = Image.open(io.BytesIO(element.screenshot()))
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_the_waiting_host_sees_a_qr_code_that_decodes_to_the_meeting_link(new_page) -> None:
    host, code = start_meeting(new_page)
    qr = host.locator("#meeting-qr svg")
    expect(qr).to_be_visible()
    link = host.input_value("#share-link")
    assert link.endswith(f"/{code}")
    expect(qr).to_have_attribute("aria-label", f"QR code of the meeting link: {link}")
    screenshot(host, "qr-code")

    assert decoded(qr) == [link]

    # Negative control: the same drawing of another meeting's link decodes to that link.
    other = link.replace(code, "zzzz-zzzz-zzzz")
    host.evaluate(
        """async (other) => {
            const figure = document.createElement('figure');
            figure.id = 'other-qr';
            figure.className = 'meeting-qr';
            document.getElementById('meeting-qr').after(figure);
            const {showQr} = await import('/js/qr-view.js');
            await showQr(figure, other);
        }""",
        other,
    )
    assert decoded(host.locator("#other-qr svg")) == [other]
    assert decoded(host.locator("#other-qr svg")) != [link]


def test_the_qr_code_is_dark_on_light_in_dark_mode_and_goes_once_the_guest_is_in(
    new_page,
) -> None:
    host, code = start_meeting(new_page, color_scheme="dark")
    qr = host.locator("#meeting-qr svg")
    expect(qr).to_be_visible()
    colours = host.evaluate(
        """() => [...document.querySelectorAll('#meeting-qr svg > *')]
             .map((element) => element.getAttribute('fill'))"""
    )
    assert colours == ["#fff", "#000"]
    assert decoded(qr) == [host.input_value("#share-link")]

    join_by_link(new_page, code)
    expect_remote_video_playing(host)
    expect(host.locator("#waiting-extras")).to_be_hidden()
