"""The NAT lab: network namespaces for an "internet" that holds the server and two homes,
each behind its own NAT router. Nothing in it has a link to the machine's real network.

    home1 (198.51.100.10)   router1 (NAT)            internet: bridge, server 203.0.113.10
      eth0 ──veth── lan 198.51.100.1 | wan 203.0.113.2 ──┐
                                                         ├── br0 203.0.113.10/24
      eth0 ──veth── lan 198.18.2.1   | wan 203.0.113.3 ──┘
    home2 (198.18.2.10)     router2 (NAT)

Routes cover the lab's ranges only: no namespace has a default route. With an Impairment,
each router's uplink is a TAP pair that tests.network.impair moves frames through (delay,
jitter, loss: this kernel has no sch_netem for `tc netem`). `closed_server()` is another
shape: one namespace with only the server's address, for coturn's abuse tests.
"""

from __future__ import annotations

import ctypes
import enum
import itertools
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from tests.loopback import REPO_ROOT, stop_process

INTERNET = "203.0.113.0/24"
SERVER = "203.0.113.10"
NAMESPACE_PREFIX = "vvlab"
_CLONE_NEWNET = 0x40000000
_labs = itertools.count(1)
T = TypeVar("T")


class Nat(enum.Enum):
    # Linux keeps the inside source port when it is free: one mapping for every destination.
    PORT_PRESERVING = "masquerade"
    # A fresh random port for every new destination: a symmetric NAT, STUN's nemesis.
    SYMMETRIC = "masquerade fully-random"


@dataclass(frozen=True)
class Impairment:
    """What each internet link does to every frame, in each direction (like `tc netem`)."""

    delay_ms: float
    jitter_ms: float
    loss_percent: float


@dataclass(frozen=True)
class HomeNetwork:
    nat: Nat = Nat.PORT_PRESERVING
    block_udp: bool = False  # a corporate firewall: no UDP leaves the home at all
    # A hotel or office network: only TCP to port 443 leaves the home (and nothing else).
    only_https_out: bool = False


@dataclass
class Home:
    name: str
    namespace: str  # where the person's browser runs
    router: str
    address: str
    public_address: str  # the router's address on the internet


@dataclass
class Lab:
    tag: str
    internet: str  # the server's namespace
    homes: list[Home] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    processes: list[subprocess.Popen] = field(default_factory=list)


# Inside addresses per home: (subnet prefix, router, browser).
_HOME_ADDRESSES = [
    ("198.51.100", "198.51.100.1", "198.51.100.10"),
    ("198.18.2", "198.18.2.1", "198.18.2.10"),
]


def ip(namespace: str, *arguments: str) -> None:
    _run(["ip", "-n", namespace, *arguments])


def run_in(namespace: str, *command: str) -> subprocess.CompletedProcess:
    return _run(["ip", "netns", "exec", namespace, *command])


def _run(command: list[str]) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")
    return done


def inside(namespace: str, function: Callable[..., T], *arguments) -> T:
    """Call function in a thread that joined namespace: its sockets live there."""

    def joined() -> T:
        libc = ctypes.CDLL(None, use_errno=True)
        descriptor = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
        try:
            if libc.setns(descriptor, _CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns {namespace}")
        finally:
            os.close(descriptor)
        return function(*arguments)

    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(joined).result()


def add_namespace(lab: Lab, role: str) -> str:
    name = f"{lab.tag}-{role}"
    _run(["ip", "netns", "add", name])
    lab.namespaces.append(name)
    ip(name, "link", "set", "lo", "up")
    return name


def sweep_stale_namespaces() -> None:
    """Delete lab namespaces left by a test process that was killed before its teardown."""
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for name in re.findall(rf"^({NAMESPACE_PREFIX}(\d+)-\S+)", listing, re.MULTILINE):
        if not Path(f"/proc/{name[1]}").exists():
            _remove_namespace(name[0])


def _remove_namespace(name: str) -> None:
    """Stop whatever still runs in the namespace (only what the lab started), then delete it."""
    for signal_number in (signal.SIGTERM, signal.SIGKILL):
        pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True)
        alive = [int(pid) for pid in pids.stdout.split()]
        for pid in alive:
            with suppress(ProcessLookupError):
                os.kill(pid, signal_number)
        deadline = time.monotonic() + 5
        while alive and time.monotonic() < deadline:
            alive = [pid for pid in alive if Path(f"/proc/{pid}").exists() and not _zombie(pid)]
            time.sleep(0.05)
        if not alive:
            break
    subprocess.run(["ip", "netns", "delete", name], capture_output=True)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


@contextmanager
def nat_lab(
    homes: tuple[HomeNetwork, HomeNetwork], impairment: Impairment | None = None
) -> Iterator[Lab]:
    """Build the internet and two homes; tear everything down however the test ends."""
    lab = Lab(tag=f"{NAMESPACE_PREFIX}{os.getpid()}-{next(_labs)}", internet="")
    try:
        lab.internet = add_namespace(lab, "inet")
        ip(lab.internet, "link", "add", "br0", "type", "bridge")
        ip(lab.internet, "addr", "add", f"{SERVER}/24", "dev", "br0")
        ip(lab.internet, "link", "set", "br0", "up")
        numbered = enumerate(zip(homes, _HOME_ADDRESSES, strict=True), start=1)
        for number, (network, addresses) in numbered:
            lab.homes.append(_add_home(lab, number, network, addresses, impairment))
        yield lab
    finally:
        for process in lab.processes:
            stop_process(process, timeout=5)
        for name in reversed(lab.namespaces):
            _remove_namespace(name)


@contextmanager
def closed_server() -> Iterator[str]:
    """One namespace holding only the server's address, on its loopback: no link, no route
    out. Whatever a server there sends to any other address goes nowhere."""
    lab = Lab(tag=f"{NAMESPACE_PREFIX}{os.getpid()}-{next(_labs)}", internet="")
    try:
        lab.internet = add_namespace(lab, "closed")
        ip(lab.internet, "addr", "add", f"{SERVER}/32", "dev", "lo")
        yield lab.internet
    finally:
        for name in reversed(lab.namespaces):
            _remove_namespace(name)


def _add_home(
    lab: Lab,
    number: int,
    network: HomeNetwork,
    addresses: tuple[str, str, str],
    impairment: Impairment | None,
) -> Home:
    prefix, gateway, address = addresses
    public = f"203.0.113.{number + 1}"
    router = add_namespace(lab, f"router{number}")
    home = add_namespace(lab, f"home{number}")
    # No IPv6 in the browser's namespace: its link-local address settling a second after the
    # link comes up made Chromium abort the page's first requests (ERR_NETWORK_CHANGED).
    run_in(home, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
    run_in(home, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
    # The home's LAN: one veth between the browser's namespace and its router.
    ip(router, "link", "add", "lan", "type", "veth", "peer", "name", "eth0", "netns", home)
    ip(home, "addr", "add", f"{address}/24", "dev", "eth0")
    ip(home, "link", "set", "eth0", "up")
    ip(home, "route", "add", INTERNET, "via", gateway)
    ip(router, "addr", "add", f"{gateway}/24", "dev", "lan")
    ip(router, "link", "set", "lan", "up")
    # The router's uplink into the internet's bridge: a veth, or the impairing link.
    uplink = f"up{number}"
    if impairment is None:
        ip(
            router,
            "link",
            "add",
            "wan",
            "type",
            "veth",
            "peer",
            "name",
            uplink,
            "netns",
            lab.internet,
        )
    else:
        lab.processes.append(_impaired_link(router, lab.internet, uplink, impairment, number))
    ip(lab.internet, "link", "set", uplink, "master", "br0")
    ip(lab.internet, "link", "set", uplink, "up")
    ip(router, "addr", "add", f"{public}/24", "dev", "wan")
    ip(router, "link", "set", "wan", "up")
    run_in(router, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    _nat_rules(router, network)
    return Home(f"home{number}", home, router, address, public)


def _nat_rules(router: str, network: HomeNetwork) -> None:
    block = 'iifname "lan" meta l4proto udp drop' if network.block_udp else ""
    if network.only_https_out:
        block = 'iifname "lan" meta l4proto != tcp drop\n'
        block += '        iifname "lan" tcp dport != 443 drop'
    ruleset = f"""
table ip lab {{
    chain forward {{
        type filter hook forward priority filter; policy drop;
        {block}
        iifname "lan" oifname "wan" accept
        iifname "wan" oifname "lan" ct state established,related accept
    }}
    chain input {{
        # Unsolicited packets die without leaving a conntrack entry behind: one would take
        # the port the inside host's own mapping needs (Linux routers do this too).
        type filter hook input priority filter; policy drop;
        iifname "lan" accept
        ct state established,related accept
    }}
    chain postrouting {{
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wan" {network.nat.value}
    }}
}}
"""
    done = subprocess.run(
        ["ip", "netns", "exec", router, "nft", "-f", "-"],
        input=ruleset,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"nft in {router}: {done.stderr.strip()}")


def _impaired_link(
    router: str, internet: str, uplink: str, impairment: Impairment, seed: int
) -> subprocess.Popen:
    """A TAP device in each namespace with tests.network.impair moving frames between them."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.network.impair",
            router,
            "wan",
            internet,
            uplink,
            str(impairment.delay_ms),
            str(impairment.jitter_ms),
            str(impairment.loss_percent),
            str(seed),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    ready = process.stdout.readline() if process.stdout else ""
    if ready.strip() != "ready":
        stop_process(process)
        raise RuntimeError(f"the impaired link did not come up (exit {process.poll()})")
    return process
