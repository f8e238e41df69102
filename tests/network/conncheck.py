"""Run the lobby's connection check in each home: a headless Chromium in the home's namespace
opens the home page, starts a new meeting's lobby and clicks "Check my connection".

Run in a process of its own (`python -m tests.network.conncheck SPEC_JSON`), like
tests.network.call. Prints one JSON line: per home, the verdict the page shows (its
`data-outcome` and `data-relay`), its words, and how long the check took. Takes no seat.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.network.call import launch, open_home_page

CHECK_TIMEOUT = 30.0  # seconds; the check itself gives up gathering after 10


def check(spec: dict) -> list[dict]:
    results = []
    with sync_playwright() as playwright:
        for wrapper in spec["wrappers"]:
            browser = launch(playwright, wrapper, spec["chromium_args"])
            try:
                page = open_home_page(browser, spec["url"])
                page.click("#new-meeting")
                page.wait_for_selector("#check-connection", state="visible")
                started = time.monotonic()
                page.click("#check-connection")
                result = page.locator("#check-result")
                deadline = started + CHECK_TIMEOUT
                while result.get_attribute("data-outcome") in (None, "", "running"):
                    if time.monotonic() > deadline:
                        break
                    page.wait_for_timeout(100)
                results.append(
                    {
                        "outcome": result.get_attribute("data-outcome"),
                        "relay": result.get_attribute("data-relay") or None,
                        "text": result.inner_text(),
                        "seconds": time.monotonic() - started,
                        "seated": page.evaluate("window.visavis.seated"),
                        "peer_connections": page.evaluate("window.__pcs.length"),
                    }
                )
            finally:
                browser.close()
    return results


if __name__ == "__main__":
    print(json.dumps(check(json.loads(Path(sys.argv[1]).read_text()))))
