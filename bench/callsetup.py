"""Call set-up time: two headless Chromium people meet through the real server over TLS.

For each call, A opens the home page and starts a meeting (`#new-meeting`; its code shows in
`#meeting-code`). The clock starts when B opens the home page; B types the code into
`#join-code`, clicks `#join` and then `#join-now` in the lobby, as a person does. It stops
when both pages have decoded a frame of the other's video (`#remote-video`). An init script
in every page notes, with the page's own clock, when that first happens (polled on each
animation frame and on requestVideoFrameCallback), so Playwright's round trips do not add
to the figure.

The same runs again through coturn on loopback with `iceTransportPolicy: "relay"` forced by
the init script (the product is unchanged), and each call's selected candidate pair is read
from getStats() to show which path the media took.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError

from tests import loopback
from tests.chromium import CHROMIUM, CHROMIUM_ARGS

from . import common, report
from . import recovery as recovery_steps

CALL_TIMEOUT_MS = 30_000
SETTLE_SECONDS = 0.5
MAX_FAILURES = 3

# In every page, before the app: bench/page_probe.js (marks each step of the call).
PAGE_PROBE = (Path(__file__).parent / "page_probe.js").read_text()

SELECTED_PATH = """
async () => {
  for (const pc of window.__bench.pcs) {
    if (pc.connectionState === 'closed') continue;
    const stats = await pc.getStats();
    for (const report of stats.values()) {
      if (report.type !== 'transport' || !report.selectedCandidatePairId) continue;
      const pair = stats.get(report.selectedCandidatePairId);
      const local = stats.get(pair.localCandidateId), remote = stats.get(pair.remoteCandidateId);
      return {local: local.candidateType, remote: remote.candidateType,
              protocol: local.protocol, relayProtocol: local.relayProtocol || null};
    }
  }
  return null;
}
"""


class CallFailed(Exception):
    pass


def _states(host, guest) -> str:
    said = []
    for name, page in (("A", host), ("B", guest)):
        try:
            said.append(
                name
                + ": "
                + page.evaluate(
                    """() => [document.getElementById('call-status').textContent,
                         document.getElementById('call-error').textContent,
                         window.__bench.firstFrame !== null,
                         window.__bench.pcs.map(pc => pc.connectionState).join(',')]
                        .join(' | ')"""
                )
            )
        except PlaywrightError as error:
            said.append(f"{name}: {error.message[:80]}")
    return "; ".join(said)


def _one_call(
    browser, url: str, relay: bool, probe_rtp: bool = False, recovery: bool = False
) -> dict:
    flags = f"const RELAY = {str(relay).lower()}, PROBE_RTP = {str(probe_rtp).lower()};"
    script = f"{flags}\n{PAGE_PROBE}"
    contexts = []
    try:

        def person():
            context = browser.new_context(
                ignore_https_errors=True,
                permissions=["camera", "microphone"],
                viewport={"width": 900, "height": 700},
            )
            contexts.append(context)
            context.add_init_script(script)
            return context.new_page()

        host, guest = person(), person()
        host.goto(f"{url}/")
        host.click("#new-meeting")
        host.click("#join-now")  # the lobby, with the default devices
        host.wait_for_function(
            "/^[a-z]{4}-[a-z]{4}-[a-z]{4}$/.test("
            "document.getElementById('meeting-code').textContent.trim())",
            timeout=CALL_TIMEOUT_MS,
        )
        code = host.inner_text("#meeting-code").strip()
        # A passes the code on and B's browser is open and idle when B starts: let both
        # windows finish starting up (Chromium's own start-up work is not the call's).
        time.sleep(SETTLE_SECONDS)

        opened = time.time() * 1000
        guest.goto(f"{url}/", wait_until="commit")
        guest.fill("#join-code", code, timeout=CALL_TIMEOUT_MS)
        guest.click("#join", timeout=CALL_TIMEOUT_MS)
        guest.click("#join-now", timeout=CALL_TIMEOUT_MS)
        for page in (guest, host):
            try:
                page.wait_for_function(
                    "window.__bench.firstFrame !== null", timeout=CALL_TIMEOUT_MS
                )
            except PlaywrightError as error:
                raise CallFailed(
                    f"{error.message.splitlines()[0]}; {_states(host, guest)}"
                ) from None
        timeline = {
            f"{who}:{name}": round(at - opened, 1)
            for who, page in (("B", guest), ("A", host))
            for name, at in page.evaluate("window.__bench.marks").items()
            if at >= opened
        }
        marks = guest.evaluate(
            """() => ({origin: performance.timeOrigin, joinNow: window.__bench.joinNowClick,
                       frame: window.__bench.firstFrame,
                       dcl: performance.timeOrigin +
                            performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd})"""
        )
        host_frame = host.evaluate("window.__bench.firstFrame")
        sizes = {
            who: page.evaluate("window.__bench.firstFrameMeta || null")
            for who, page in (("guest", guest), ("host", host))
        }
        path = guest.evaluate(SELECTED_PATH)
        done = max(marks["frame"], host_frame)
        timeline["B:page:navigation-start"] = round(marks["origin"] - opened, 1)
        timeline["B:page:DOMContentLoaded"] = round(marks["dcl"] - opened, 1)
        call = {
            "setup_ms": round(done - opened, 1),
            "guest_page_loaded_ms": round(marks["dcl"] - opened, 1),
            "join_now_clicked_ms": round(marks["joinNow"] - opened, 1),
            "click_to_both_video_ms": round(done - marks["joinNow"], 1),
            "guest_first_frame_ms": round(marks["frame"] - opened, 1),
            "host_first_frame_ms": round(host_frame - opened, 1),
            "host_after_guest_ms": round(host_frame - marks["frame"], 1),
            "path": path,
            "first_frames": sizes,
            "timeline_ms": dict(sorted(timeline.items(), key=lambda item: item[1])),
        }
        if recovery:
            call["ice_restart_s"] = round(recovery_steps.ice_restart_s(host, guest), 3)
            call["reload_resume_s"] = round(recovery_steps.reload_resume_s(host, guest), 3)
        return call
    finally:
        for context in contexts:
            with contextlib.suppress(Exception):
                context.close()


def run_calls(
    url: str,
    calls: int,
    relay: bool,
    log=print,
    warmup: bool = True,
    probe_rtp: bool = False,
    recovery_calls: int = 0,
) -> dict:
    """`calls` timed calls (and one warm-up); the first `recovery_calls` of them then also
    time an ICE restart and a reload (bench/recovery.py)."""
    from playwright.sync_api import sync_playwright

    results, failures = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # One call first that is not counted: Chromium's first WebRTC call in a fresh
            # process loads and initialises its media stack.
            if warmup:
                with contextlib.suppress(PlaywrightError, CallFailed):
                    _one_call(browser, url, relay)
            for number in range(calls):
                try:
                    call = _one_call(browser, url, relay, probe_rtp, number < recovery_calls)
                except (PlaywrightError, CallFailed) as error:
                    # The first line, and which element a timed-out step waited for.
                    lines = str(error).splitlines()
                    waited = [line.strip() for line in lines if "waiting for" in line][:1]
                    failures.append("; ".join(lines[:1] + waited)[:400])
                    log(f"    call {number + 1}: failed: {failures[-1]}")
                    if len(failures) >= MAX_FAILURES:  # keeps `make bench` bounded in time
                        log(f"    {MAX_FAILURES} calls failed: giving up on this mode")
                        break
                    continue
                results.append(call)
                log(
                    f"    call {number + 1}: {call['click_to_both_video_ms']} ms from Join now, "
                    f"{call['setup_ms']} ms the whole way in "
                    f"({(call['path'] or {}).get('local')} path)"
                )
        finally:
            browser.close()
    return {
        "calls": len(results),
        "failures": len(failures),
        "first_failures": failures[:3],
        "setup_ms": common.summary([c["setup_ms"] for c in results]),
        "click_to_both_video_ms": common.summary([c["click_to_both_video_ms"] for c in results]),
        "host_after_guest_ms": common.summary([c["host_after_guest_ms"] for c in results]),
        "ice_restart_s": common.summary(
            [c["ice_restart_s"] for c in results if "ice_restart_s" in c], digits=3
        ),
        "reload_resume_s": common.summary(
            [c["reload_resume_s"] for c in results if "reload_resume_s" in c], digits=3
        ),
        "guest_page_loaded_ms": common.summary([c["guest_page_loaded_ms"] for c in results]),
        "timeline_median_ms": _timeline(results),
        "join_now_phases_median_ms": {
            step: at for step, _, at, _ in report.phases({"each": results})
        },
        "paths": sorted(
            {f"{(c['path'] or {}).get('local')}/{(c['path'] or {}).get('remote')}" for c in results}
        ),
        "each": results,
    }


def _timeline(results: list[dict]) -> dict[str, float]:
    """Median time of each step (ms after B opened the page), for steps seen in every call."""
    steps: dict[str, list[float]] = {}
    for call in results:
        for name, at in call["timeline_ms"].items():
            steps.setdefault(name, []).append(at)
    medians = {
        name: common.summary(times)["median"]
        for name, times in steps.items()
        if len(times) == len(results)
    }
    return dict(sorted(medians.items(), key=lambda item: item[1]))


def run(
    calls: int,
    relay_calls: int,
    workdir: Path,
    broker: str | None = None,
    log=print,
    warmup: bool = True,
    server_dir: Path | None = None,
    probe_rtp: bool = False,
    recovery_calls: int = 0,
) -> dict:
    """Direct calls (the first `recovery_calls` also time an ICE restart and a reload), then
    calls through coturn; `probe_rtp` splits "connected -> first frame" with getStats()."""
    tls = common.make_certificate(workdir)
    body: dict[str, object] = {
        "flow": "B opens / , types A's code into #join-code, clicks #join, then #join-now "
        "in the lobby; until both #remote-video have decoded a frame",
        "probe_rtp": probe_rtp,
        "browser": _chromium_version(),
        "chromium_args": CHROMIUM_ARGS,
        "server": "python -m signaling over TLS on 127.0.0.1",
        "from": str(server_dir or common.REPO_ROOT),
    }
    if calls:
        log(f"  {calls} calls, direct")
        with common.signaling_server(
            workdir, tls=tls, broker=broker, server_dir=server_dir
        ) as server:
            body["direct"] = run_calls(
                server.url, calls, False, log, warmup, probe_rtp, recovery_calls
            )
    if relay_calls:
        log(f"  {relay_calls} calls through coturn (iceTransportPolicy relay)")
        with loopback.coturn(workdir) as (port, secret):
            env = {"VISAVIS_TURN_URLS": f"turn:127.0.0.1:{port}", "VISAVIS_TURN_SECRET": secret}
            with common.signaling_server(
                workdir, tls=tls, env=env, broker=broker, server_dir=server_dir
            ) as server:
                body["relay"] = run_calls(server.url, relay_calls, True, log, warmup, probe_rtp)
    return body


def _chromium_version() -> str:
    try:
        return subprocess.run(
            [CHROMIUM, "--version"], capture_output=True, text=True, timeout=20
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
