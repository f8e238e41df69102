"""Steps the browser tests share: start a meeting, join it, watch the remote video, and
reach into the page through its test handle (`window.visavis`, see frontend/js/call.js)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.loopback import Server, make_certificate, signaling_server

CODE = re.compile(r"^[a-hjkmnp-z]{4}-[a-hjkmnp-z]{4}-[a-hjkmnp-z]{4}$")
MEDIA_TIMEOUT = 20_000  # ms: ICE, DTLS and the first decoded frame on a loaded machine
CONNECTED = "Connected."

OpenPath = Callable[..., Page]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def screenshot(page: Page, name: str) -> None:
    """docs/screenshots/NAME.png for the README, only with VISAVIS_SCREENSHOTS=1: the fake
    camera moves, so every run would change the files."""
    if os.environ.get("VISAVIS_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@contextmanager
def own_server(workdir: Path, **env: str) -> Iterator[Server]:
    """A server of the test's own over HTTPS, with extra VISAVIS_* settings."""
    with signaling_server(workdir, tls=make_certificate(workdir), env=env) as server:
        yield server


def on_server(open_page, server: Server) -> OpenPath:
    """`new_page` for another server than the shared one."""

    def open_path(path: str = "/", init_script: str | None = None, **options) -> Page:
        return open_page(f"{server.url}{path}", init_script, **options)

    return open_path


def start_meeting(
    new_page: OpenPath, path: str = "/", init_script: str | None = None, **options
) -> tuple[Page, str]:
    """A new meeting through the lobby, straight on with the default devices."""
    host = new_page(path, init_script, **options)
    host.click("#new-meeting")
    host.click("#join-now")
    code_text = host.locator("#meeting-code")
    expect(code_text).to_have_text(CODE, timeout=10_000)
    return host, code_text.inner_text()


def join_from_home(
    new_page: OpenPath, code: str, init_script: str | None = None, path: str = "/", **options
) -> Page:
    guest = new_page(path, init_script, **options)
    guest.fill("#join-code", code.upper().replace("-", " "))
    guest.click("#join")
    guest.click("#join-now")
    return guest


def join_by_link(new_page: OpenPath, code: str, init_script: str | None = None) -> Page:
    """Open the meeting's link: the lobby comes first, then in."""
    page = new_page(f"/{code}", init_script)
    page.click("#join-now")
    return page


def start_call(
    new_page: OpenPath, path: str = "/", init_script: str | None = None, **options
) -> tuple[Page, Page, str]:
    """Two people in a meeting, each seeing the other's camera."""
    host, code = start_meeting(new_page, path, init_script, **options)
    guest = join_from_home(new_page, code, init_script, path, **options)
    expect_remote_video_playing(host)
    expect_remote_video_playing(guest)
    return host, guest, code


def sender_track(page: Page, kind: str) -> dict:
    """The track the peer connection sends for `kind` (label, id) and its local SDP."""
    return page.evaluate(
        """kind => {
            const pc = window.visavis.peerConnection;
            const sender = pc.getTransceivers()
                .find((t) => t.receiver.track.kind === kind).sender;
            return {label: sender.track?.label ?? null, id: sender.track?.id ?? null,
                    sdp: pc.localDescription.sdp};
        }""",
        kind,
    )


def remote_frames(page: Page) -> int:
    return page.evaluate(
        "document.getElementById('remote-video').getVideoPlaybackQuality().totalVideoFrames"
    )


def expect_remote_video_playing(page: Page, timeout: float = MEDIA_TIMEOUT) -> None:
    page.wait_for_function(
        "document.getElementById('remote-video').videoWidth > 0", timeout=timeout
    )
    expect_frames_advancing(page, timeout)


def expect_frames_advancing(page: Page, timeout: float = MEDIA_TIMEOUT) -> None:
    """New frames are decoded: the count grows within `timeout` ms."""
    first = remote_frames(page)
    page.wait_for_function(
        f"""document.getElementById('remote-video')
              .getVideoPlaybackQuality().totalVideoFrames > {first}""",
        timeout=timeout,
    )


def seated(page: Page) -> bool:
    return page.evaluate("window.visavis.seated")


def ice_ufrags(page: Page) -> tuple[str, str]:
    """The local and remote ICE username fragments: an ICE restart changes both."""
    return tuple(
        page.evaluate(
            """() => {
                const pc = window.visavis.peerConnection;
                const ufrag = (d) => d?.sdp.match(/a=ice-ufrag:(\\S+)/)[1] ?? null;
                return [ufrag(pc.localDescription), ufrag(pc.remoteDescription)];
            }"""
        )
    )


def expect_ice_restarted(page: Page, old: tuple[str, str], timeout: float = MEDIA_TIMEOUT):
    """Both ICE credentials differ from `old` (see ice_ufrags) and the call is connected."""
    page.wait_for_function(
        """([oldLocal, oldRemote]) => {
            const pc = window.visavis.peerConnection;
            const ufrag = (d) => d?.sdp.match(/a=ice-ufrag:(\\S+)/)[1] ?? null;
            return pc.signalingState === 'stable' && pc.connectionState === 'connected' &&
                ufrag(pc.localDescription) !== oldLocal &&
                ufrag(pc.remoteDescription) !== oldRemote;
        }""",
        arg=list(old),
        timeout=timeout,
    )


def restart_ice(page: Page, other: Page, timeout: float = MEDIA_TIMEOUT) -> float:
    """Force an ICE restart from `page`; wait until both sides negotiated new ICE
    credentials and are connected again. Returns the seconds that took."""
    before = ice_ufrags(page)
    started = time.monotonic()
    page.evaluate("window.visavis.restartIce()")
    expect_ice_restarted(page, before, timeout)
    expect_ice_restarted(other, before[::-1], timeout)
    return time.monotonic() - started


def selected_candidate_types(page: Page) -> dict:
    """The local and remote candidate types of the pair in use (host, srflx, relay)."""
    return page.evaluate(
        """async () => {
            const stats = [...(await window.visavis.peerConnection.getStats()).values()];
            const byId = new Map(stats.map((s) => [s.id, s]));
            const transport = stats.find((s) => s.type === 'transport' &&
                s.selectedCandidatePairId);
            const pair = byId.get(transport.selectedCandidatePairId);
            return {local: byId.get(pair.localCandidateId).candidateType,
                    remote: byId.get(pair.remoteCandidateId).candidateType};
        }"""
    )
