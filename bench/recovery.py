"""How fast an established call recovers: an ICE restart, and a reload that takes the seat
back. The same steps as the browser tests (tests/browser/steps.py), timed on the Python
side from the action until both pages show it done, so Playwright's polling (an animation
frame, a few ms) is included."""

from __future__ import annotations

import time

from playwright.sync_api import Page

from tests.browser.steps import expect_frames_advancing, restart_ice

TIMEOUT_MS = 20_000


def ice_restart_s(host: Page, guest: Page) -> float:
    """Seconds from the guest's forced ICE restart until both pages negotiated new ICE
    credentials and are connected again (restart_ice in the browser tests)."""
    return restart_ice(guest, host, timeout=TIMEOUT_MS)


def reload_resume_s(host: Page, guest: Page) -> float:
    """Seconds from the guest reloading its page until both decode new frames of the other:
    the reloaded page takes its seat back at once (no lobby) and a new connection starts."""
    started = time.monotonic()
    guest.reload(wait_until="commit")
    guest.wait_for_function(
        "window.__bench && window.__bench.firstFrame !== null", timeout=TIMEOUT_MS
    )
    expect_frames_advancing(host, TIMEOUT_MS)
    return time.monotonic() - started
