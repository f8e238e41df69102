"""Fixtures of the NAT lab: the server's files (rendered once), a call between two homes
built fresh for each test, and a summary of set-up times and frame rates at the end."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.loopback import REPO_ROOT
from tests.network import front, services
from tests.network.lab import (
    HomeNetwork,
    Impairment,
    Lab,
    closed_server,
    nat_lab,
    sweep_stale_namespaces,
)

COMMANDS = ["ip", "nft", "turnserver", "openssl", "/usr/bin/chromium"]
CALL_TIMEOUT = 150  # seconds for the driver: a call that fails for good takes about a minute
_measurements = pytest.StashKey[list[str]]()


@dataclass
class Call:
    """What one call looked like from the two homes (the driver's JSON, lightly typed)."""

    result: dict
    public_addresses: list[str]

    @property
    def host(self) -> dict:
        return self.result["host"]

    @property
    def guest(self) -> dict:
        return self.result["guest"]

    @property
    def sides(self) -> list[dict]:
        return [self.host, self.guest]

    @property
    def connected(self) -> bool:
        return self.result["ice"] in ("connected", "completed")

    def pair(self, side: dict) -> dict:
        pair = side["stats"] and side["stats"]["pair"]
        assert pair, f"no selected candidate pair: {json.dumps(side)[:2000]}"
        return pair

    def path(self, side: dict) -> str:
        pair = self.pair(side)
        ends = []
        for end in (pair["local"], pair["remote"]):
            via = f" over {end['relayProtocol']}" if end["relayProtocol"] else ""
            ends.append(f"{end['type']}{via}")
        return " <-> ".join(ends)


@pytest.fixture(scope="session")
def server_files(tmp_path_factory: pytest.TempPathFactory) -> services.ServerFiles:
    missing = [command for command in COMMANDS if shutil.which(command) is None]
    if missing:
        pytest.fail(f"the network lab needs {', '.join(missing)}: `make test` installs them")
    if os.geteuid() != 0:
        pytest.fail("the network lab makes network namespaces: run the tests as root")
    sweep_stale_namespaces()
    return services.make_server_files(tmp_path_factory.mktemp("lab-server"))


@pytest.fixture
def measure(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Note a figure for the summary printed at the end of the run."""
    noted = request.config.stash.setdefault(_measurements, [])
    return lambda line: noted.append(f"{request.node.name}: {line}")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    noted = config.stash.get(_measurements, [])
    if noted:
        terminalreporter.section("network lab: call set-up and frame rates")
        for line in noted:
            terminalreporter.line(line)


@pytest.fixture
def call_between_homes(server_files: services.ServerFiles, tmp_path: Path):
    """Build the lab, start coturn and signaling on the internet, and have home 1 start a
    meeting that home 2 joins from its own browser. The lab is gone when this returns."""

    def call(
        homes: tuple[HomeNetwork, HomeNetwork] = (HomeNetwork(), HomeNetwork()),
        *,
        stun: bool = True,
        turn: tuple[str, ...] = (),
        impairment: Impairment | None = None,
        frame_rate: bool = False,
        timeout: float = 30,
    ) -> Call:
        ice = services.ice_settings(server_files, stun=stun, turn=turn)
        with (
            nat_lab(homes, impairment) as lab,
            services.coturn(lab.internet, server_files, tmp_path),
            services.signaling(lab.internet, server_files, tmp_path, ice) as url,
        ):
            spec = {"timeout": timeout, "frame_rate": frame_rate}
            return drive_call(lab, url, server_files, tmp_path, spec)

    return call


@pytest.fixture
def call_through_443(server_files: services.ServerFiles, tmp_path: Path):
    """Like call_between_homes, but the server is as deployed with port 443 in front
    (tests.network.front): people open https://visavis.test, and browsers get the deploy's
    ICE servers, TURN over TLS on 443 among them unless `turns_on_443=False`. Returns the
    Call and the names the TLS router saw in ClientHellos, [(name, "turns" | "site")]."""

    def call(
        homes: tuple[HomeNetwork, HomeNetwork], *, turns_on_443: bool = True, timeout: float = 30
    ) -> tuple[Call, list[tuple[str, str]]]:
        with (
            nat_lab(homes) as lab,
            front.server_on_443(lab, server_files, tmp_path, turns_on_443=turns_on_443) as server,
        ):
            made = drive_call(lab, server.url, server_files, tmp_path, {"timeout": timeout})
            return made, server.tls_names()

    return call


def drive_call(lab: Lab, url: str, files: services.ServerFiles, workdir: Path, spec: dict) -> Call:
    """Home 1 starts a meeting at url, home 2 joins it, each in a Chromium of its own inside
    its namespace (tests.network.call, in a process of its own); `spec` adds the driver's
    options (timeout, frame_rate...)."""
    spec_file = driver_spec(lab, url, files, workdir, **spec)
    result = _drive(spec_file)
    return Call(result, [home.public_address for home in lab.homes])


def driver_spec(lab: Lab, url: str, files: services.ServerFiles, workdir: Path, **options) -> Path:
    """Write the drivers' spec (tests.network.call, tests.network.conncheck): the page's url,
    one Chromium per home inside the home's namespace, the lab's CA trusted, and `options`
    (timeout, frame_rate, relay_only...); returns its path."""
    wrappers = []
    for home in lab.homes:
        # Playwright starts this as the browser: Chromium inside the home's namespace.
        wrapper = workdir / f"chromium-{home.name}"
        wrapper.write_text(
            f'#!/bin/sh\nexec ip netns exec {home.namespace} /usr/bin/chromium "$@"\n'
        )
        wrapper.chmod(0o755)
        wrappers.append(str(wrapper))
    spec = {
        "url": url,
        "wrappers": wrappers,
        "chromium_args": [files.trusted_by_chromium()],
        **options,
    }
    spec_file = workdir / "call.json"
    spec_file.write_text(json.dumps(spec))
    return spec_file


def _drive(spec_file: Path, module: str = "tests.network.call"):
    """Run the driver `module` (tests.network.call) in its own process group; kill the whole
    group if it hangs. Returns the JSON of its last line."""
    driver = subprocess.Popen(
        [sys.executable, "-m", module, str(spec_file)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = driver.communicate(timeout=CALL_TIMEOUT)
    finally:
        if driver.poll() is None or _group_alive(driver.pid):
            _kill_group(driver.pid)
            driver.wait()
    assert driver.returncode == 0, stderr[-5000:]
    return json.loads(stdout.splitlines()[-1])


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _kill_group(group: int) -> None:
    for signal_number in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(group, signal_number)
        except ProcessLookupError:
            return
        time.sleep(0.5)


@pytest.fixture
def closed_coturn(server_files: services.ServerFiles, tmp_path: Path) -> Iterator[str]:
    """coturn, on the lab's rendered configuration, alone in a namespace with no route out."""
    with closed_server() as namespace, services.coturn(namespace, server_files, tmp_path):
        yield namespace
