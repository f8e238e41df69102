"""Fixtures for the deployment tests: a booted host per Debian release and `make` runs
against it. Every test that takes `deployment` runs once per release (ids `debian12`,
`debian13`; `-k debian12` picks one); pytest finishes one release's host before it boots the
next."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .host import TestHost, booted_host
from .image import DISTRIBUTIONS, Distribution

REPO = Path(__file__).resolve().parents[2]
DOMAIN = "visavis.test"
_measurements = pytest.StashKey[list[str]]()


@pytest.fixture
def measure(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Note a figure for the summary printed at the end of the run."""
    return lambda line: note(request.config, f"{request.node.name}: {line}")


def note(config: pytest.Config, line: str) -> None:
    """Add a line to the "deployment: measured" summary."""
    config.stash.setdefault(_measurements, []).append(line)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    noted = config.stash.get(_measurements, [])
    if noted:
        terminalreporter.section("deployment: measured")
        for line in noted:
            terminalreporter.line(line)


@dataclass
class Deployment:
    host: TestHost
    inventory: Path
    domain: str = DOMAIN

    def make(self, verb: str, *settings: str, timeout: float = 900) -> str:
        """Run `make <verb> HOST=... INVENTORY=...`; fails with the tail of its output."""
        command = [
            "make",
            "--no-print-directory",
            "-C",
            str(REPO),
            verb,
            f"HOST={self.host.address}",
            f"INVENTORY={self.inventory}",
            *settings,
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
        log = self.host.workdir / f"make-{verb}.log"
        with log.open("a") as file:
            file.write(done.stdout + done.stderr)
        if done.returncode:
            output = f"{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
            raise AssertionError(f"make {verb} exited {done.returncode}:\n{output}")
        return done.stdout

    def deploy(self, tls: str = "selfsigned", *settings: str) -> str:
        return self.make("deploy", f"DOMAIN={self.domain}", f"TLS={tls}", *settings)


def write_inventory(host: TestHost, extra: str = "", name: str = "hosts.yml") -> Path:
    """The test host's inventory: how to reach it, and the test-only settings."""
    inventory = host.workdir / name
    inventory.write_text(
        f"""visavis:
  hosts:
    {host.address}:
      ansible_user: root
      ansible_ssh_private_key_file: {host.ssh_key}
      ansible_ssh_common_args: >-
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
      # The host has no route to a mirror: its image carries the packages already.
      common_apt_update_cache: false
      # Browsers on the controller's end of the veth reach coturn by address, and coturn
      # relays between relay addresses on the test network: 198.18.0.0/15 is denied by
      # default, so this test network is the allowed exception.
      signaling_turn_host: {host.address}
      coturn_allowed_peer_ips: ["{host.gateway}", "{host.address}"]
{extra}"""
    )
    return inventory


@pytest.fixture(
    scope="session", params=DISTRIBUTIONS, ids=[distribution.name for distribution in DISTRIBUTIONS]
)
def deployment(request) -> Iterator[Deployment]:
    distribution: Distribution = request.param
    with booted_host(distribution) as host:
        yield Deployment(host=host, inventory=write_inventory(host))


@pytest.fixture(scope="session")
def first_deploy(request, deployment) -> str:
    """The output of the first `make deploy` (self-signed) on the fresh host; its time goes
    in the summary."""
    started = time.monotonic()
    printed = deployment.deploy("selfsigned")
    seconds = time.monotonic() - started
    name = deployment.host.distribution.name
    note(request.config, f"first deploy [{name}]: make deploy on a fresh host, {seconds:.0f} s")
    return printed
