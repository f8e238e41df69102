"""Watching a held call (held_call.py) from the test: the driver process, the samples it
prints, and what they say about an interruption (media stalls, seats lost and taken back).

A sample is one page's call at one moment (held_call.SAMPLE): `at` (ms since the epoch),
`seated`, `ice`, `connection`, `framesDecoded`, `bytesReceived`, `localType`, `localAddress`.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

from websockets.sync.client import connect

from .conftest import REPO

SIDES = ("host", "guest")


class HeldCall:
    """The driver of a call held through a deployed host (`python -m tests.deploy.held_call`),
    its samples collected in the background. Raises AssertionError when the call does not
    start."""

    def __init__(self, domain: str, address: str, enrolment_link: str, log: Path) -> None:
        self.domain = domain
        self.address = address
        self.log = log  # the driver's stderr
        self.samples: dict[str, list[dict]] = {side: [] for side in SIDES}
        self._lock = threading.Lock()
        self.driver = subprocess.Popen(
            [sys.executable, "-m", "tests.deploy.held_call", domain, address, enrolment_link],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("w"),
            text=True,
        )
        assert self.driver.stdout is not None
        first = self.driver.stdout.readline()
        if not first.startswith('{"connected"'):
            self.stop()
            raise AssertionError(f"the call did not start: {first}\n{self.stderr}")
        self.room: str = json.loads(first)["room"]
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        assert self.driver.stdout is not None
        for line in self.driver.stdout:
            if line.startswith('{"samples"'):
                host, guest = json.loads(line)["samples"]
                with self._lock:
                    self.samples["host"].append(host)
                    self.samples["guest"].append(guest)

    def window(self, start_ms: float, end_ms: float = float("inf")) -> dict[str, list[dict]]:
        """Each side's samples taken from start_ms to end_ms."""
        with self._lock:
            return {
                side: [s for s in samples if start_ms <= s["at"] <= end_ms]
                for side, samples in self.samples.items()
            }

    def wait_until_flowing(self, since_ms: float, timeout: float) -> float:
        """Wait until, after since_ms, both pages are seated, connected and decoding new
        frames; returns that moment (ms). Raises AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.driver.poll() is None, f"the call's driver stopped:\n{self.stderr}"
            resumed = [back_in_call(side) for side in self.window(since_ms).values()]
            if all(resumed):
                return max(resumed)
            time.sleep(0.5)
        raise AssertionError(f"the call did not resume within {timeout:.0f} s: {self.tail()}")

    @property
    def stderr(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]

    def save(self, path: Path) -> None:
        """Write every sample as JSON (for a look after the run)."""
        with self._lock:
            path.write_text(json.dumps(self.samples))

    def tail(self, count: int = 6) -> dict[str, list[dict]]:
        with self._lock:
            return {side: samples[-count:] for side, samples in self.samples.items()}

    def stop(self) -> None:
        if self.driver.poll() is None:
            try:
                assert self.driver.stdin is not None
                self.driver.stdin.write("stop\n")
                self.driver.stdin.close()
                self.driver.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self.driver.kill()
                self.driver.wait()


def back_in_call(side: list[dict]) -> float | None:
    """The first moment (ms) in `side` at which the page was seated and connected and had
    decoded a new frame since the sample before, or None."""
    for earlier, later in zip(side, side[1:], strict=False):
        flowing = later["framesDecoded"] > earlier["framesDecoded"]
        if later["seated"] and later["connection"] == "connected" and flowing:
            return later["at"]
    return None


def longest_stall(side: list[dict], counter: str) -> tuple[float, float]:
    """The longest time (s) between two samples that saw `counter` grow, and when it began
    (ms). bytesReceived is the selected candidate pair's: after an ICE restart a new pair
    counts from 0 again, and its growth counts from its second sample on."""
    moments = [
        later["at"]
        for earlier, later in zip(side, side[1:], strict=False)
        if later[counter] > earlier[counter]
    ]
    gaps = [(b - a, a) for a, b in zip(moments, moments[1:], strict=False)]
    gap, began = max(gaps, default=(float("inf"), 0.0))
    return gap / 1000, began


def max_stall_seconds(side: list[dict], counter: str) -> float:
    """The longest time (s) between two samples that saw `counter` grow."""
    return longest_stall(side, counter)[0]


def seatless_seconds(side: list[dict]) -> float:
    """How long, in all, the page's seat was not held (sampled every half second)."""
    lost = [
        later["at"] - earlier["at"]
        for earlier, later in zip(side, side[1:], strict=False)
        if not earlier["seated"]
    ]
    return sum(lost) / 1000


def join_as_third_person(domain: str, address: str, room: str) -> dict:
    """Ask the deployed signaling for a seat in `room`, as a third page would (through nginx,
    with the site's Origin); returns the server's answer (`joined` or `error`)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test host's certificate is self-signed
    raw = socket.create_connection((address, 443), timeout=10)
    with connect(
        f"wss://{domain}/ws",
        sock=raw,
        ssl=context,
        server_hostname=domain,
        origin=f"https://{domain}",
        open_timeout=10,
    ) as socket_:
        socket_.send(json.dumps({"type": "join", "room": room}))
        while True:
            frame = json.loads(socket_.recv(timeout=10))
            if frame.get("type") in {"joined", "error"}:
                return frame
