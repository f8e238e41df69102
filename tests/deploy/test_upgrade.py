"""Upgrades, a rollback and a reboot of a deployed host while a call runs through it.

One Debian 12 host of this module's own (booted here, not the session's `deployment`, which
test_letsencrypt leaves in Let's Encrypt mode and which a reboot would disturb) gets the
checkout's build, and two Chromium pages (`?relay=1`: the media crosses the host's coturn)
hold one call through it while the tests, in file order:

1. deploy a changed build (the checkout copied with another version): media keeps flowing,
   both pages take their seats back within seconds, a third person still gets `room-full`,
   and the deploy changed only the app's install and restarted only signaling;
2. deploy the previous build again (the rollback), with the same checks;
3. reboot the host: every service comes back, the pages resume the call (an ICE restart
   through the rebooted relay), and `make verify` passes.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .call_watch import (
    HeldCall,
    join_as_third_person,
    longest_stall,
    max_stall_seconds,
    seatless_seconds,
)
from .conftest import REPO, Deployment, write_inventory
from .host import booted_host
from .image import DEBIAN_12
from .test_call_through_deployment import HOST_NAME
from .test_deploy import recap

if TYPE_CHECKING:
    from .host import TestHost

pytestmark = pytest.mark.timeout(2400)  # the first also boots and deploys; slow when loaded
SERVICES = ("visavis-signaling", "coturn", "nginx")
INSTALLED_VERSION = (
    "/opt/visavis/venv/bin/python -c "
    "'import importlib.metadata as m; print(m.version(\"visavis\"))'"
)
# What a deploy of another build may change: the app's wheels and install (install.yml),
# and the restart of signaling. Nothing of coturn, nginx, certificates or the firewall.
INSTALL = "signaling : Install visavis and its dependencies from the wheelhouse only, checking "
INSTALL += "their hashes"
RESTART = "signaling : Restart signaling"
APP_TASKS = {
    "signaling : Build or reuse the wheelhouse for the service's Python",
    "signaling : Create the wheelhouse directories",
    "signaling : Copy the wheels of the dependencies and of visavis",
    "signaling : Remove wheelhouses of earlier versions",
    INSTALL,
    RESTART,
}
MUST_CHANGE = {INSTALL, RESTART}
MEDIA_STALL_LIMIT = 3.0  # s without a new frame or byte: the browsers share two busy cores
SIGNALING_RESUME_LIMIT = 15.0  # s after a deploy ends until both pages are seated and flowing
REBOOT_RESUME_LIMIT = 90.0  # s after the services are back until the call flows again


@dataclass
class Site:
    host: TestHost
    current: Deployment  # the checkout's build
    changed: Deployment  # the same, copied with another version
    current_version: str
    changed_version: str
    call: HeldCall
    first_deploy_seconds: float


def now_ms() -> float:
    return time.time() * 1000


def changed_build(into: Path) -> str:
    """Copy what a deploy ships (the service's sources, the client) with another version in
    pyproject.toml; returns that version."""
    into.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "constraints.txt"):
        shutil.copy2(REPO / name, into / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("signaling", "frontend"):
        shutil.copytree(REPO / folder, into / folder, ignore=ignore)
    pyproject = into / "pyproject.toml"
    version = re.search(r'^version = "([^"]+)"$', pyproject.read_text(), re.MULTILINE).group(1)
    changed = f"{version}+upgradetest"
    pyproject.write_text(
        pyproject.read_text().replace(f'version = "{version}"', f'version = "{changed}"', 1)
    )
    return changed


def changed_tasks(output: str) -> set[str]:
    """The tasks and handlers ansible's default output reports `changed` for."""
    changed, current = set(), None
    for line in output.splitlines():
        header = re.match(r"^(?:TASK|RUNNING HANDLER) \[(.+)\] \**$", line)
        if header:
            current = header.group(1)
        elif line.startswith("changed: ") and current:
            changed.add(current)
    return changed


def main_pids(host: TestHost) -> dict[str, str]:
    shown = host.run(
        f"for s in {' '.join(SERVICES)}; do systemctl show --value -p MainPID $s; done"
    )
    return dict(zip(SERVICES, shown.split(), strict=True))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    build = tmp_path_factory.mktemp("build") / "checkout"
    changed_version = changed_build(build)
    with booted_host(DEBIAN_12) as host:
        current = Deployment(host=host, inventory=write_inventory(host))
        source = f"      signaling_source_dir: {build}\n"
        changed = Deployment(
            host=host, inventory=write_inventory(host, extra=source, name="hosts-changed.yml")
        )
        started = time.monotonic()
        assert recap(current.deploy())["failed"] == 0
        first_deploy_seconds = time.monotonic() - started
        printed = current.make("enrol", f"NAME={HOST_NAME}")
        link = [line for line in printed.splitlines() if line.startswith("https://")][-1]
        call = HeldCall(current.domain, host.address, link, host.workdir / "held-call.log")
        try:
            yield Site(
                host=host,
                current=current,
                changed=changed,
                current_version=host.run(INSTALLED_VERSION).strip(),
                changed_version=changed_version,
                call=call,
                first_deploy_seconds=first_deploy_seconds,
            )
        finally:
            call.stop()
            call.save(tmp_path_factory.getbasetemp() / "held-call-samples.json")


def assert_media_kept(
    site: Site, start_ms: float, end_ms: float, restarted_ms: float
) -> dict[str, float]:
    """Both pages received media relayed by the host from start_ms to end_ms, never stalled
    for MEDIA_STALL_LIMIT; returns each side's longest stall (s)."""
    stalls = {}
    for side, samples in site.call.window(start_ms, end_ms).items():
        assert len(samples) >= 10, (side, samples)
        relayed = {(s["localType"], s["localAddress"]) for s in samples if s["localType"]}
        assert relayed == {("relay", site.host.address)}, (side, relayed)
        for counter in ("framesDecoded", "bytesReceived"):
            stall, began = longest_stall(samples, counter)
            # Where it was, in seconds from signaling's restart.
            around = [
                (round((s["at"] - restarted_ms) / 1000, 1), s["seated"], s[counter])
                for s in samples
                if began - 3000 <= s["at"] <= began + stall * 1000 + 3000
            ]
            assert stall < MEDIA_STALL_LIMIT, (side, counter, stall, around)
            stalls[side] = max(stalls.get(side, 0.0), stall)
    return stalls


def resumed_seats(host: TestHost) -> list[bool]:
    """The seats (their `polite` role) that the running signaling process gave back to their
    holders' resume tokens, from its journal."""
    pid = host.run("systemctl show --value -p MainPID visavis-signaling").strip()
    lines = host.run(f"journalctl -u visavis-signaling -o cat _PID={pid}").splitlines()
    events = [json.loads(line) for line in lines if line.startswith("{")]
    return sorted(e["polite"] for e in events if e.get("event") == "seat-taken" and e["resumed"])


def restarted_at(host: TestHost) -> float:
    """When signaling's running process started (ms since the epoch, to the second)."""
    started = "systemctl show --value -p ExecMainStartTimestamp visavis-signaling"
    return float(host.run(f'date -d "$({started})" +%s%3N').strip())


def redeploy_during_the_call(site: Site, deployment: Deployment, version: str, measure) -> None:
    host = site.host
    pids = main_pids(host)
    start = now_ms()
    output = deployment.deploy()
    ended = now_ms()
    resumed = site.call.wait_until_flowing(since_ms=ended, timeout=SIGNALING_RESUME_LIMIT)
    time.sleep(3)  # a few more samples after the resume
    # Only the app's install and signaling's restart changed; coturn and nginx kept running.
    changed = changed_tasks(output)
    assert MUST_CHANGE <= changed <= APP_TASKS, changed
    assert recap(output)["failed"] == 0
    after = main_pids(host)
    assert after["coturn"] == pids["coturn"] != "0"
    assert after["nginx"] == pids["nginx"] != "0"
    assert after["visavis-signaling"] not in (pids["visavis-signaling"], "0")
    assert host.run(INSTALLED_VERSION).strip() == version
    # Both kept their seats: the new process gave each back to its resume token, so a third
    # person still finds the room full.
    assert resumed_seats(host) == [False, True]
    assert (
        join_as_third_person(deployment.domain, host.address, site.call.room)["code"] == "room-full"
    )

    restarted = restarted_at(host)
    stalls = assert_media_kept(site, start - 2000, now_ms(), restarted)

    window = site.call.window(start, resumed)
    seatless = {side: seatless_seconds(samples) for side, samples in window.items()}
    assert max(seatless.values()) < SIGNALING_RESUME_LIMIT, seatless
    measure(
        f"deploy of {version} took {(ended - start) / 1000:.0f} s (signaling restarted "
        f"{(restarted - start) / 1000:.0f} s in); seat not held (sampled every 0.5 s) "
        + ", ".join(f"{side} {seconds:.1f} s" for side, seconds in seatless.items())
        + "; longest media stall "
        + ", ".join(f"{side} {seconds:.1f} s" for side, seconds in stalls.items())
    )


def test_deploying_a_changed_build_keeps_the_call(site, measure):
    measure(f"first deploy of the fresh host took {site.first_deploy_seconds:.0f} s")
    assert site.changed_version != site.current_version
    redeploy_during_the_call(site, site.changed, site.changed_version, measure)


def test_rolling_back_to_the_previous_build_keeps_the_call(site, measure):
    assert site.host.run(INSTALLED_VERSION).strip() == site.changed_version
    redeploy_during_the_call(site, site.current, site.current_version, measure)


def wait_for_services(host: TestHost, booted_before: str, timeout: float) -> None:
    """Wait until the host booted again (PID 1 started anew) and every service is active."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            booted = host.run("ps -o lstart= -p 1", check=False, timeout=10).strip()
            if booted and booted != booted_before:
                active = host.run(f"systemctl is-active {' '.join(SERVICES)}", check=False)
                if active.split() == ["active"] * len(SERVICES):
                    return
        except subprocess.TimeoutExpired:
            pass
        time.sleep(1)
    raise AssertionError(f"the host's services were not back within {timeout:.0f} s")


def test_rebooting_the_host_resumes_the_call(site, measure):
    host = site.host
    booted_before = host.run("ps -o lstart= -p 1").strip()
    start = now_ms()
    with contextlib.suppress(subprocess.TimeoutExpired):  # the link may go before ssh ends
        host.run("systemctl reboot", check=False, timeout=30)
    wait_for_services(host, booted_before, timeout=180)
    back = now_ms()
    resumed = site.call.wait_until_flowing(since_ms=back, timeout=REBOOT_RESUME_LIMIT)
    time.sleep(3)

    # The media stopped with the relay and came back through the rebooted one (a new
    # candidate pair after an ICE restart), with both seats taken back by their tokens.
    after = site.call.window(resumed, now_ms())
    for side, samples in after.items():
        assert samples and all(s["seated"] and s["connection"] == "connected" for s in samples)
        relayed = {(s["localType"], s["localAddress"]) for s in samples}
        assert relayed == {("relay", host.address)}, (side, relayed)
    assert (
        join_as_third_person(site.current.domain, host.address, site.call.room)["code"]
        == "room-full"
    )
    window = site.call.window(start - 2000, now_ms())
    stalls = {side: max_stall_seconds(samples, "framesDecoded") for side, samples in window.items()}

    output = site.current.make("verify")
    assert " passed" in output and "failed" not in output.splitlines()[-1]
    measure(
        f"reboot: services active again {(back - start) / 1000:.0f} s after `systemctl reboot`; "
        f"call flowing again {(resumed - start) / 1000:.0f} s after it "
        f"({(resumed - back) / 1000:.1f} s after the services); longest time without a new "
        "frame " + ", ".join(f"{side} {seconds:.1f} s" for side, seconds in stalls.items())
    )
