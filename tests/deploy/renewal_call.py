"""A call relayed over TURNS (coturn's TLS port) through the deployed host, held while the
test renews the certificate: what each browser received, sampled twice a second.

Run as a process of its own (`python -m tests.deploy.renewal_call DOMAIN ADDRESS LINK
SECONDS`), like test_call_through_deployment: it prints one JSON line `{"connected": ...}`
once media flows both ways (the test then renews), and after SECONDS more one line with the
samples. The assertions are the test's.
"""

from __future__ import annotations

import json
import sys
import time

from playwright.sync_api import Page, expect, sync_playwright

from tests.chromium import CHROMIUM, CHROMIUM_ARGS

from .test_call_through_deployment import (
    CODE,
    HOST_NAME,
    add_platform_authenticator,
    expect_remote_video_playing,
    spki_pin,
)

SAMPLE_INTERVAL = 0.5  # seconds
# No product change: every RTCPeerConnection may use relay candidates only, and only from
# the `turns:` URL on coturn's own TLS port, so the call crosses TLS to coturn.
RELAY_OVER_TURNS = """
(() => {
  const Native = window.RTCPeerConnection;
  const turnsOnly = (config) => {
    const servers = ((config && config.iceServers) || []).map((server) => ({
      ...server,
      urls: [].concat(server.urls).filter((url) => /^turns:[^?]*:5349(\\?|$)/.test(url)),
    })).filter((server) => server.urls.length > 0);
    return { ...(config || {}), iceServers: servers, iceTransportPolicy: 'relay' };
  };
  window.__peers = [];
  function RelayOverTurns(config, ...rest) {
    const peer = new Native(turnsOnly(config), ...rest);
    window.__peers.push(peer);
    return peer;
  }
  RelayOverTurns.prototype = Native.prototype;
  Object.setPrototypeOf(RelayOverTurns, Native);
  const setConfiguration = Native.prototype.setConfiguration;
  Native.prototype.setConfiguration = function (config) {
    return setConfiguration.call(this, turnsOnly(config));
  };
  window.RTCPeerConnection = RelayOverTurns;
})();
"""
# The newest peer connection's selected pair and received video, at one moment.
SAMPLE = """
async () => {
  const peer = window.__peers[window.__peers.length - 1];
  const stats = await peer.getStats();
  const sample = { at: Date.now(), ice: peer.iceConnectionState, framesDecoded: 0,
                   bytesReceived: 0, relayProtocol: null, localAddress: null };
  stats.forEach((report) => {
    if (report.type === 'inbound-rtp' && report.kind === 'video') {
      sample.framesDecoded = report.framesDecoded;
    }
    if (report.type === 'transport' && report.selectedCandidatePairId) {
      const pair = stats.get(report.selectedCandidatePairId);
      const local = stats.get(pair.localCandidateId);
      sample.bytesReceived = pair.bytesReceived;
      sample.relayProtocol = local.relayProtocol || null;
      sample.localType = local.candidateType;
      sample.localAddress = local.address;
    }
  });
  return sample;
}
"""


def open_page(browser, url: str, passkeys: bool = False) -> Page:
    context = browser.new_context(ignore_https_errors=True, permissions=["camera", "microphone"])
    context.add_init_script(RELAY_OVER_TURNS)
    page = context.new_page()
    if passkeys:
        add_platform_authenticator(context, page)
    page.goto(url)
    return page


def hold_call(domain: str, address: str, enrolment_link: str, seconds: float) -> None:
    rules = f"--host-resolver-rules=MAP {domain} {address}"
    # The site's and coturn's certificate (the same one): Chromium's TURN client ignores
    # ignore_https_errors but honours this pin.
    pin = f"--ignore-certificate-errors-spki-list={spki_pin(address)}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, rules, pin]
        )
        host = open_page(browser, enrolment_link, passkeys=True)
        host.click("#enrol-button")
        expect(host.locator("#host-name")).to_have_text(f"Signed in as {HOST_NAME}", timeout=15_000)
        host.click("#new-meeting")
        host.click("#join-now")
        expect(host.locator("#meeting-code")).to_have_text(CODE, timeout=15_000)
        guest = open_page(browser, f"https://{domain}/")
        guest.fill("#join-code", host.locator("#meeting-code").inner_text())
        guest.click("#join")
        guest.click("#join-now")
        for page in (host, guest):
            expect_remote_video_playing(page)
        print(json.dumps({"connected": [page.evaluate(SAMPLE) for page in (host, guest)]}))
        sys.stdout.flush()
        samples: dict[str, list[dict]] = {"host": [], "guest": []}
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for name, page in (("host", host), ("guest", guest)):
                samples[name].append(page.evaluate(SAMPLE))
            host.wait_for_timeout(SAMPLE_INTERVAL * 1000)
        browser.close()
    print(json.dumps({"samples": samples}))


if __name__ == "__main__":
    hold_call(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]))
