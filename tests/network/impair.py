"""An impaired Ethernet link between two namespaces: what `tc netem` would do, in user space.

This machine's kernel has no sch_netem, so the lab makes a TAP device in each namespace and
moves every frame between them after a delay (plus uniform jitter, order kept) unless it is
lost. Run as: python -m tests.network.impair NS_A DEV_A NS_B DEV_B DELAY_MS JITTER_MS LOSS% SEED
It prints "ready" once both devices exist and runs until it is terminated.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import fcntl
import os
import random
import select
import signal
import struct
import sys
import time

_CLONE_NEWNET = 0x40000000
_TUNSETIFF = 0x400454CA
_IFF_TAP = 0x0002
_IFF_NO_PI = 0x1000


def open_tap(namespace: str, name: str) -> int:
    """Create TAP device `name` in `namespace` (the whole process moves there)."""
    libc = ctypes.CDLL(None, use_errno=True)
    namespace_file = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
    try:
        if libc.setns(namespace_file, _CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {namespace}")
    finally:
        os.close(namespace_file)
    device = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(device, _TUNSETIFF, struct.pack("16sH", name.encode(), _IFF_TAP | _IFF_NO_PI))
    return device


def forward(a: int, b: int, delay: float, jitter: float, loss: float, chance: random.Random):
    # Per direction, frames in flight as (due time, frame); due times never go backwards.
    in_flight = {a: collections.deque(), b: collections.deque()}
    other = {a: b, b: a}
    last_due = {a: 0.0, b: 0.0}
    while True:
        now = time.monotonic()
        for target, queue in in_flight.items():
            while queue and queue[0][0] <= now:
                # A device down for a moment loses the frame, as a real wire would.
                with contextlib.suppress(OSError):
                    os.write(target, queue.popleft()[1])
        due = [queue[0][0] for queue in in_flight.values() if queue]
        timeout = max(0.0, min(due) - now) if due else None
        readable, _, _ = select.select([a, b], [], [], timeout)
        for source in readable:
            frame = os.read(source, 65536)
            if chance.random() * 100 < loss:
                continue
            target = other[source]
            at = time.monotonic() + delay + chance.uniform(-jitter, jitter)
            last_due[target] = max(last_due[target], at)
            in_flight[target].append((last_due[target], frame))


def main(arguments: list[str]) -> None:
    namespace_a, device_a, namespace_b, device_b = arguments[:4]
    delay_ms, jitter_ms, loss_percent = (float(value) for value in arguments[4:7])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    a = open_tap(namespace_a, device_a)
    b = open_tap(namespace_b, device_b)
    print("ready", flush=True)
    forward(a, b, delay_ms / 1000, jitter_ms / 1000, loss_percent, random.Random(arguments[7]))


if __name__ == "__main__":
    main(sys.argv[1:])
