"""Drive one call between two homes: a headless Chromium in each home's namespace.

Run in a process of its own (`python -m tests.network.call SPEC_JSON`), like the deploy
suite's call: another suite's Playwright session may still be open in the pytest process.
Prints one JSON line: what each side saw. The tests make the assertions.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from tests.chromium import CHROMIUM_ARGS

# Every RTCPeerConnection the page makes, and each state it goes through, without relying
# on the client's internals.
RECORD_PEER_CONNECTIONS = """
(() => {
  const Native = window.RTCPeerConnection;
  window.__pcs = [];
  window.__states = [];
  function Recorded(...args) {
    const pc = new Native(...args);
    const index = window.__pcs.push(pc) - 1;
    const note = (kind) => () => window.__states.push({
      pc: index, kind, state: kind === 'ice' ? pc.iceConnectionState : pc.connectionState,
      at: Date.now(),
    });
    pc.addEventListener('iceconnectionstatechange', note('ice'));
    pc.addEventListener('connectionstatechange', note('connection'));
    return pc;
  }
  Recorded.prototype = Native.prototype;
  Object.setPrototypeOf(Recorded, Native);
  window.RTCPeerConnection = Recorded;
})();
"""
# The selected candidate pair and the video counters of the newest peer connection.
PATH_AND_VIDEO = """
async () => {
  const pc = window.__pcs[window.__pcs.length - 1];
  if (!pc) return null;
  const stats = await pc.getStats();
  const found = { pair: null, inbound: null, outbound: null };
  const gathered = [];
  stats.forEach((report) => {
    if (report.type === 'local-candidate') {
      gathered.push(`${report.candidateType} ${report.address}:${report.port} ${report.protocol}`
                    + (report.relayProtocol ? ` via ${report.relayProtocol}` : ''));
    }
    if (report.type === 'transport' && report.selectedCandidatePairId) {
      found.pair = stats.get(report.selectedCandidatePairId);
    }
    if (report.type === 'inbound-rtp' && report.kind === 'video') found.inbound = report;
    if (report.type === 'outbound-rtp' && report.kind === 'video') found.outbound = report;
  });
  const side = (id) => {
    const c = stats.get(id);
    return { type: c.candidateType, address: c.address, port: c.port, protocol: c.protocol,
             relayProtocol: c.relayProtocol || null, url: c.url || null };
  };
  return {
    pair: found.pair && {
      local: side(found.pair.localCandidateId), remote: side(found.pair.remoteCandidateId),
      state: found.pair.state, bytesReceived: found.pair.bytesReceived,
      bytesSent: found.pair.bytesSent, rtt: found.pair.currentRoundTripTime ?? null,
    },
    gathered,
    framesDecoded: found.inbound ? found.inbound.framesDecoded : 0,
    framesSent: found.outbound ? found.outbound.framesSent : 0,
    at: performance.now(),
  };
}
"""
# For calls that must cross the relay: every peer connection may use relay candidates only.
RELAY_ONLY = """
(() => {
  const Native = window.RTCPeerConnection;
  const relay = (config) => ({ ...(config || {}), iceTransportPolicy: 'relay' });
  function RelayOnly(config, ...rest) { return new Native(relay(config), ...rest); }
  RelayOnly.prototype = Native.prototype;
  Object.setPrototypeOf(RelayOnly, Native);
  const setConfiguration = Native.prototype.setConfiguration;
  Native.prototype.setConfiguration = function (config) {
    return setConfiguration.call(this, relay(config));
  };
  window.RTCPeerConnection = RelayOnly;
})();
"""
REMOTE_FRAMES = "document.getElementById('remote-video').getVideoPlaybackQuality().totalVideoFrames"
FRAME_RATE_WINDOW = 5.0  # seconds over which the achieved frame rate is measured


def launch(playwright, wrapper: str, extra_args: list[str]) -> Browser:
    return playwright.chromium.launch(executable_path=wrapper, args=[*CHROMIUM_ARGS, *extra_args])


def open_home_page(browser: Browser, url: str, relay_only: bool = False) -> Page:
    context = browser.new_context(
        ignore_https_errors=True,
        # Granted, Chromium gives real host candidates instead of mDNS names.
        permissions=["camera", "microphone"],
    )
    if relay_only:
        context.add_init_script(RELAY_ONLY)  # first: the recorder wraps it
    context.add_init_script(RECORD_PEER_CONNECTIONS)
    page = context.new_page()
    page.goto(f"{url}/")
    return page


def states(page: Page) -> list[dict]:
    return page.evaluate("window.__states || []")


def wait_for_state(page: Page, wanted: set[tuple[str, str]], timeout: float) -> dict | None:
    """The first (kind, state) change in `wanted`, or None when the time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for change in states(page):
            if (change["kind"], change["state"]) in wanted:
                return change
        page.wait_for_timeout(100)
    return None


def frame_rate(page: Page) -> float:
    first = page.evaluate(PATH_AND_VIDEO)
    page.wait_for_timeout(FRAME_RATE_WINDOW * 1000)
    last = page.evaluate(PATH_AND_VIDEO)
    elapsed = (last["at"] - first["at"]) / 1000
    return (last["framesDecoded"] - first["framesDecoded"]) / elapsed


def hold(host: Page, guest: Page, seconds: float, counters: list[str]) -> dict:
    """Keep the call for `seconds`; what the browsers and the `counters` command (JSON on its
    stdout, e.g. the server's nftables counters) said at the start and at the end."""
    ends = []
    for _ in range(2):
        ends.append(
            {
                "host": host.evaluate(PATH_AND_VIDEO),
                "guest": guest.evaluate(PATH_AND_VIDEO),
                "counters": json.loads(
                    subprocess.run(counters, check=True, capture_output=True).stdout
                ),
                "at": time.monotonic(),
            }
        )
        if len(ends) == 1:
            host.wait_for_timeout(seconds * 1000)
    return {"start": ends[0], "end": ends[1], "seconds": ends[1]["at"] - ends[0]["at"]}


def call(spec: dict) -> dict:
    url, timeout = spec["url"], spec["timeout"]
    result: dict = {}
    with sync_playwright() as playwright:
        extra_args = spec["chromium_args"]
        browsers = [launch(playwright, wrapper, extra_args) for wrapper in spec["wrappers"]]
        try:
            relay_only = spec.get("relay_only", False)
            host = open_home_page(browsers[0], url, relay_only)
            host.click("#new-meeting")
            host.click("#join-now")  # the lobby, with the default devices
            share_link = host.locator("#share-link")  # filled in, though not always shown
            deadline = time.monotonic() + 15
            while not share_link.input_value() and time.monotonic() < deadline:
                host.wait_for_timeout(100)
            link = share_link.input_value()
            result["link"] = link

            guest = open_home_page(browsers[1], url, relay_only)
            guest.fill("#join-code", link)
            clicked = guest.evaluate("Date.now()")
            guest.click("#join")
            guest.click("#join-now")

            # ICE connected, or the connection given up (ICE itself may stay "disconnected").
            ending = wait_for_state(
                guest,
                {("ice", "connected"), ("ice", "completed"), ("connection", "failed")},
                timeout,
            )
            result["ice"] = ending and ending["state"]
            result["setup_seconds"] = ending and (ending["at"] - clicked) / 1000
            if ending and ending["state"] != "failed":
                # Media in both directions: each side decodes new frames of the other.
                for page in (host, guest):
                    deadline = time.monotonic() + 20
                    while page.evaluate(REMOTE_FRAMES) == 0 and time.monotonic() < deadline:
                        page.wait_for_timeout(200)
                if spec.get("frame_rate"):
                    result["frame_rate"] = {"host": frame_rate(host), "guest": frame_rate(guest)}
                elif spec.get("hold_seconds"):
                    result["held"] = hold(host, guest, spec["hold_seconds"], spec["counters"])
                else:
                    guest.wait_for_timeout(1000)
            else:
                # Give the client its chance to say why, in words.
                host.wait_for_timeout(1000)
                # The client retries ICE before it gives up: about a minute in all.
                deadline = time.monotonic() + spec.get("error_wait", 60)
                while not guest.locator("#call-error").inner_text():
                    if time.monotonic() > deadline:
                        break
                    guest.wait_for_timeout(250)
            for name, page in (("host", host), ("guest", guest)):
                result[name] = {
                    "stats": page.evaluate(PATH_AND_VIDEO),
                    "remote_frames": page.evaluate(REMOTE_FRAMES),
                    "states": states(page),
                    "call_error": page.locator("#call-error").inner_text(),
                    "call_status": page.locator("#call-status").inner_text(),
                }
            if spec.get("screenshot"):
                guest.screenshot(path=spec["screenshot"])
        finally:
            for browser in browsers:
                browser.close()
    return result


if __name__ == "__main__":
    print(json.dumps(call(json.loads(Path(sys.argv[1]).read_text()))))
