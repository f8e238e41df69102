"""Two headless Chromium call each other through the deployed nginx, signaling and coturn.

The server lets only hosts start meetings (the deploy's default), so the first browser
enrols with a link `make enrol` printed on the controller, through Chromium's virtual
authenticator, before it starts the meeting; the second joins with the code only.

Both browsers run on the controller's end of the test host's veth and may only use relay
candidates, so the media provably crosses the deployed coturn. The browsers are driven in a
process of their own (`python -m tests.deploy.test_call_through_deployment DOMAIN ADDRESS`):
another suite's Playwright session may still be open in the pytest process.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.chromium import CHROMIUM, CHROMIUM_ARGS

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(900)  # includes booting the host and the first deploy
CODE = re.compile(r"^[a-z]{4}-[a-z]{4}-[a-z]{4}$")
MEDIA_TIMEOUT = 30_000  # ms: ICE over TURN, DTLS and the first decoded frame
# No product change: every RTCPeerConnection the page makes is forced to relay only.
RELAY_ONLY = """
(() => {
  const Native = window.RTCPeerConnection;
  const relay = (config) => ({ ...(config || {}), iceTransportPolicy: 'relay' });
  window.__peers = [];
  function RelayOnly(config, ...rest) {
    const peer = new Native(relay(config), ...rest);
    window.__peers.push(peer);
    return peer;
  }
  RelayOnly.prototype = Native.prototype;
  Object.setPrototypeOf(RelayOnly, Native);
  const setConfiguration = Native.prototype.setConfiguration;
  Native.prototype.setConfiguration = function (config) {
    return setConfiguration.call(this, relay(config));
  };
  window.RTCPeerConnection = RelayOnly;
})();
"""
SELECTED_PAIR = """
async () => {
  const peer = window.__peers[window.__peers.length - 1];
  const stats = await peer.getStats();
  let pair = null;
  stats.forEach((report) => {
    if (report.type === 'transport' && report.selectedCandidatePairId) {
      pair = stats.get(report.selectedCandidatePairId);
    }
  });
  if (!pair) return null;
  const local = stats.get(pair.localCandidateId);
  const remote = stats.get(pair.remoteCandidateId);
  return {
    policy: peer.getConfiguration().iceTransportPolicy,
    local: local.candidateType, localAddress: local.address,
    remote: remote.candidateType, remoteAddress: remote.address,
    bytesReceived: pair.bytesReceived,
  };
}
"""


def open_page(browser: Browser, url: str, passkeys: bool = False, force_relay: bool = True) -> Page:
    """A page of its own context at url; force_relay: every RTCPeerConnection relay-only
    (RELAY_ONLY), else as the page makes it (`?relay=1` in url does the same by the app)."""
    context = browser.new_context(ignore_https_errors=True, permissions=["camera", "microphone"])
    if force_relay:
        context.add_init_script(RELAY_ONLY)
    page = context.new_page()
    if passkeys:
        add_platform_authenticator(context, page)
    page.goto(url)
    return page


def add_platform_authenticator(context: BrowserContext, page: Page) -> None:
    """Chromium's virtual authenticator (DevTools WebAuthn domain), as Touch ID would be."""
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    options = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True}
    options |= {"hasUserVerification": True, "isUserVerified": True}
    devtools.send("WebAuthn.addVirtualAuthenticator", {"options": options})


def spki_pin(address: str) -> str:
    """base64(SHA-256(SubjectPublicKeyInfo)) of the site's certificate: Chromium trusts it
    with --ignore-certificate-errors-spki-list, since WebAuthn refuses pages with TLS
    certificate errors (the test's certificate is self-signed)."""
    pem = ssl.get_server_certificate((address, 443))
    key = x509.load_pem_x509_certificate(pem.encode()).public_key()
    spki = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def expect_remote_video_playing(page: Page) -> None:
    # Polled from here: wait_for_function would eval inside the page, which the CSP forbids.
    deadline = time.monotonic() + MEDIA_TIMEOUT / 1000
    width = "document.getElementById('remote-video').videoWidth"
    while page.evaluate(width) == 0:
        assert time.monotonic() < deadline, "no remote video within the time limit"
        page.wait_for_timeout(250)
    frames = "document.getElementById('remote-video').getVideoPlaybackQuality().totalVideoFrames"
    first = page.evaluate(frames)
    page.wait_for_timeout(1000)
    assert page.evaluate(frames) > first, "the remote video is not decoding new frames"


HOST_NAME = "deploy-test"  # the name every enrolment link of these tests is made for


def call_through_relay(domain: str, address: str, enrolment_link: str) -> list[dict]:
    """Enrol with a link made for HOST_NAME, make the call; returns each side's selected
    candidate pair."""
    # The browsers find the site's name at the test host's address; nothing else resolves.
    rules = f"--host-resolver-rules=MAP {domain} {address}"
    pin = f"--ignore-certificate-errors-spki-list={spki_pin(address)}"
    with sync_playwright() as playwright:
        args = [*CHROMIUM_ARGS, rules, pin]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        site = f"https://{domain}"
        host = open_page(browser, enrolment_link, passkeys=True)
        host.click("#enrol-button")
        expect(host.locator("#host-name")).to_have_text(f"Signed in as {HOST_NAME}", timeout=15_000)
        pairs = meet(host, open_page(browser, f"{site}/"))
        browser.close()
        return pairs


def meet(host: Page, guest: Page) -> list[dict]:
    """join_call, then each side's selected candidate pair (pages opened with force_relay)."""
    join_call(host, guest)
    return [page.evaluate(SELECTED_PAIR) for page in (host, guest)]


def join_call(host: Page, guest: Page) -> None:
    """The host starts a meeting (the lobby's default devices), the guest joins it by its
    code; returns once both play the other's video."""
    host.click("#new-meeting")
    host.click("#join-now")
    expect(host.locator("#meeting-code")).to_have_text(CODE, timeout=15_000)
    guest.fill("#join-code", host.locator("#meeting-code").inner_text())
    guest.click("#join")
    guest.click("#join-now")
    for page in (host, guest):
        expect_remote_video_playing(page)


def test_two_browsers_call_through_the_deployed_relay(deployment, first_deploy):
    printed = deployment.make("enrol", f"NAME={HOST_NAME}")
    link = [line for line in printed.splitlines() if line.startswith("https://")][-1]
    assert link.startswith(f"https://{deployment.domain}/enrol#"), printed
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.deploy.test_call_through_deployment",
            deployment.domain,
            deployment.host.address,
            link,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert_relayed_through(done, deployment.host.address)


def assert_relayed_through(done: subprocess.CompletedProcess, address: str) -> None:
    """`done` is this module run as a program: both people's selected candidate pairs were
    relay to relay through the TURN server at `address`, and media arrived."""
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    for pair in json.loads(done.stdout.splitlines()[-1]):
        assert pair is not None, "no selected candidate pair"
        assert pair["policy"] == "relay"
        assert (pair["local"], pair["remote"]) == ("relay", "relay"), pair
        assert pair["localAddress"] == address, pair
        assert pair["bytesReceived"] > 0


if __name__ == "__main__":
    print(json.dumps(call_through_relay(sys.argv[1], sys.argv[2], sys.argv[3])))
