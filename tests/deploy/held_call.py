"""A call relayed through the deployed host, held until told to stop, with what each page saw
sampled twice a second: for the upgrade, reboot and rollback tests (test_upgrade.py).

Run as a process of its own (`python -m tests.deploy.held_call DOMAIN ADDRESS LINK`), like
test_call_through_deployment: both pages open the app with `?relay=1` (relayed candidates
only, so the media crosses the host's coturn). It prints JSON lines on stdout: first
`{"connected": [sample, sample], "room": CODE}` once video flows both ways, then
`{"samples": [host's, guest's]}` every SAMPLE_INTERVAL until a line `stop` arrives on stdin
or HOLD_LIMIT has passed. The assertions are the test's.
"""

from __future__ import annotations

import json
import sys
import threading
import time

from playwright.sync_api import expect, sync_playwright

from tests.chromium import CHROMIUM, CHROMIUM_ARGS

from .test_call_through_deployment import HOST_NAME, join_call, open_page, spki_pin

SAMPLE_INTERVAL = 0.5  # seconds
HOLD_LIMIT = 3600  # seconds: the driver stops by itself if the test never says so
# One page's call at one moment: whether the server holds its seat, the connection's states,
# the video it decoded and the bytes its selected candidate pair received (0 without one).
SAMPLE = """
async () => {
  const sample = { at: Date.now(), seated: window.visavis.seated, ice: null, connection: null,
                   framesDecoded: 0, bytesReceived: 0, localType: null, localAddress: null };
  const peer = window.visavis.peerConnection;
  if (!peer) return sample;
  sample.ice = peer.iceConnectionState;
  sample.connection = peer.connectionState;
  const stats = await peer.getStats();
  stats.forEach((report) => {
    if (report.type === 'inbound-rtp' && report.kind === 'video') {
      sample.framesDecoded = report.framesDecoded;
    }
    if (report.type === 'transport' && report.selectedCandidatePairId) {
      const pair = stats.get(report.selectedCandidatePairId);
      if (!pair) return;
      const local = stats.get(pair.localCandidateId);
      sample.bytesReceived = pair.bytesReceived;
      sample.localType = local ? local.candidateType : null;
      sample.localAddress = local ? local.address : null;
    }
  });
  return sample;
}
"""


def relay_only(url: str) -> str:
    """`url` with `?relay=1` before its fragment (an enrolment link's token)."""
    address, hash_mark, fragment = url.partition("#")
    return f"{address}{'&' if '?' in address else '?'}relay=1{hash_mark}{fragment}"


def emit(line: dict) -> None:
    print(json.dumps(line), flush=True)


def hold_call(domain: str, address: str, enrolment_link: str) -> None:
    rules = f"--host-resolver-rules=MAP {domain} {address}"
    pin = f"--ignore-certificate-errors-spki-list={spki_pin(address)}"
    stop = threading.Event()

    def read_commands() -> None:
        for line in sys.stdin:
            if line.strip() == "stop":
                break
        stop.set()  # "stop", or the test went away

    threading.Thread(target=read_commands, daemon=True).start()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, rules, pin]
        )
        host = open_page(browser, relay_only(enrolment_link), passkeys=True, force_relay=False)
        host.click("#enrol-button")
        expect(host.locator("#host-name")).to_have_text(f"Signed in as {HOST_NAME}", timeout=15_000)
        guest = open_page(browser, relay_only(f"https://{domain}/"), force_relay=False)
        join_call(host, guest)
        room = host.locator("#meeting-code").inner_text()
        emit({"connected": [page.evaluate(SAMPLE) for page in (host, guest)], "room": room})
        deadline = time.monotonic() + HOLD_LIMIT
        while not stop.is_set() and time.monotonic() < deadline:
            emit({"samples": [page.evaluate(SAMPLE) for page in (host, guest)]})
            stop.wait(SAMPLE_INTERVAL)
        browser.close()


if __name__ == "__main__":
    hold_call(sys.argv[1], sys.argv[2], sys.argv[3])
