"""A call whose two people reach different web hosts of a split site: person A's browser finds
the site's name at web1, person B's at web2 (each Chromium has its own host-resolver rule),
both with `?relay=1` so media can only go through a TURN host. Run as a program (another
suite's Playwright session may be open in the pytest process):

    python -m tests.deploy.call_across_hosts DOMAIN WEB1_ADDRESS WEB2_ADDRESS

prints, as JSON, each side's selected candidate pair.
"""

from __future__ import annotations

import json
import sys

from playwright.sync_api import Browser, Page, sync_playwright

from tests.chromium import CHROMIUM, CHROMIUM_ARGS

from .test_call_through_deployment import meet

# Keeps every RTCPeerConnection the page makes, for getStats; changes nothing else (the
# page's own `?relay=1` forces the relay).
RECORD_PEERS = """
(() => {
  const Native = window.RTCPeerConnection;
  window.__peers = [];
  function Recorded(...args) {
    const peer = new Native(...args);
    window.__peers.push(peer);
    return peer;
  }
  Recorded.prototype = Native.prototype;
  Object.setPrototypeOf(Recorded, Native);
  window.RTCPeerConnection = Recorded;
})();
"""


def person(playwright, domain: str, address: str) -> tuple[Browser, Page]:
    """A browser that finds `domain` at `address`, on the site's home page with ?relay=1."""
    rules = f"--host-resolver-rules=MAP {domain} {address}"
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, rules])
    context = browser.new_context(ignore_https_errors=True, permissions=["camera", "microphone"])
    context.add_init_script(RECORD_PEERS)
    page = context.new_page()
    page.goto(f"https://{domain}/?relay=1")
    return browser, page


def call(domain: str, web1: str, web2: str) -> list[dict]:
    with sync_playwright() as playwright:
        browser_a, a = person(playwright, domain, web1)
        browser_b, b = person(playwright, domain, web2)
        pairs = meet(a, b)
        browser_a.close()
        browser_b.close()
        return pairs


if __name__ == "__main__":
    print(json.dumps(call(sys.argv[1], sys.argv[2], sys.argv[3])))
