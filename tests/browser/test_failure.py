"""When no path exists, the person is told why in plain words, not left with a spinner."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser.steps import join_from_home, on_server, own_server, start_meeting
from tests.loopback import free_udp_port


@pytest.mark.parametrize(
    ("case", "explanation"),
    [
        # ?relay=1 with no TURN server: no candidate at all, as when both networks block.
        ("no relay", "has no relay to carry it"),
        ("relay down", "relay is not reachable"),
    ],
)
def test_a_call_without_any_path_explains_why(open_page, tmp_path, case, explanation) -> None:
    env = {}
    if case == "relay down":
        env = {
            "VISAVIS_TURN_URLS": f"turn:127.0.0.1:{free_udp_port()}?transport=udp",
            "VISAVIS_TURN_SECRET": "not-used",
        }
    with own_server(tmp_path, **env) as server:
        people = on_server(open_page, server)
        host, code = start_meeting(people, path="/?relay=1")
        guest = join_from_home(people, code, path="/?relay=1")
        started = time.monotonic()
        for page in (host, guest):
            expect(page.locator("#call-error")).to_contain_text(explanation, timeout=90_000)
        print(f"\n{case} -> explained after {time.monotonic() - started:.1f} s")
