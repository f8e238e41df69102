"""The other person closes the tab or hangs up: "left" within 2 s, and no sentence about a
failing network after a departure. A reload still takes the seat back."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser.steps import expect_remote_video_playing, start_call
from tests.browser.test_recovery import PEER_LEFT

LEFT_WITHIN = 2.0  # seconds from the tab closing to "left" on the other side (issue 15)
QUIET_AFTER = 10.0  # seconds to watch for a failure sentence after the departure


# Each change of the status line with the page's clock (ms since the epoch, as time.time()).
RECORD_TIMED_STATUS = """
window.timedStatuses = [];
new MutationObserver(() => window.timedStatuses.push(
    [Date.now(), document.getElementById('call-status').textContent]))
  .observe(document.getElementById('call-status'), {childList: true, subtree: true,
                                                     characterData: true});
window.errors = [];
new MutationObserver(() => window.errors.push(document.getElementById('call-error').textContent))
  .observe(document.getElementById('call-error'), {childList: true, subtree: true,
                                                    characterData: true});
"""


@pytest.mark.parametrize("how", ["close the tab", "hang up"])
def test_the_other_side_hears_left_at_once_and_nothing_about_the_network(new_page, how):
    host, guest, _ = start_call(new_page)
    host.evaluate(RECORD_TIMED_STATUS)

    if how == "close the tab":
        left_at = time.time() * 1000
        guest.close(run_before_unload=True)
    else:
        guest.evaluate(
            """document.getElementById('hang-up').addEventListener('click',
                () => { window.leftAt = Date.now(); }, {capture: true})"""
        )
        guest.click("#hang-up")
        left_at = guest.evaluate("window.leftAt")
    expect(host.locator("#call-status")).to_contain_text(PEER_LEFT, timeout=10_000)
    shown_at = next(at for at, text in host.evaluate("window.timedStatuses") if PEER_LEFT in text)
    shown = (shown_at - left_at) / 1000
    print(f"\n{how}: 'left' shown on the other side after {shown:.2f} s")
    assert shown < LEFT_WITHIN

    host.wait_for_timeout(QUIET_AFTER * 1000)
    expect(host.locator("#call-status")).to_contain_text(PEER_LEFT)
    assert [text for text in host.evaluate("window.errors") if text] == []
    assert all(
        PEER_LEFT in text for at, text in host.evaluate("window.timedStatuses") if at >= shown_at
    )


def test_after_a_reload_the_call_comes_back(new_page) -> None:
    host, guest, _ = start_call(new_page)
    guest.reload()
    expect_remote_video_playing(guest)
    expect_remote_video_playing(host)
    expect(host.locator("#call-error")).to_be_empty()
