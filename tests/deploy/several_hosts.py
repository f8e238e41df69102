"""Several throw-away Debian hosts booted at once on two test networks, as a split site has
them: a "public" bridge that the controller (the browsers, Ansible, the test) and every host
share, and a "private" link between the web hosts and the Redis host that the controller has
no address on.

    controller 203.0.113.193 ── public bridge ── web1 .203, web2 .204, turn1 .213, turn2 .214,
                                                 redis1 .223
                                private bridge ── web1 198.18.100.11, web2 .12, redis1 .31

Each host is a copy of the release's cached image (tests/deploy/image.py) booted with
systemd-nspawn, its host0 on the public bridge and, for hosts on the private link, a second
veth (priv0) on the private bridge. Booting is mostly waiting, so the hosts boot in a thread
pool. Everything is torn down on exit, whatever happened inside.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .host import SubnetLock, TestHost, link_exists, port_open, stop, wait_for, write_host_files
from .image import DEBIAN_12, Distribution, ensure_image

# 203.0.113.192/26 only: the rest of the /24 may be this machine's way out (a route for the
# whole /24 on the bridge once cut the deploy's pip off its package index).
PUBLIC = "203.0.113"
PUBLIC_FIRST = 192  # host n is PUBLIC.(192 + n), n in 1..62
PUBLIC_PREFIX = 26
PRIVATE = "198.18.100"  # /24: below host.py's 198.18.160-249 /30s
CONTROLLER = f"{PUBLIC}.{PUBLIC_FIRST + 1}"


@dataclass(frozen=True)
class Plan:
    """One host to boot: its name, its last octet on the public network, and on the private
    link (None: not on it)."""

    name: str
    public: int  # 2..62: PUBLIC.(192 + public)
    private: int | None = None

    @property
    def address(self) -> str:
        return f"{PUBLIC}.{PUBLIC_FIRST + self.public}"

    @property
    def private_address(self) -> str | None:
        return f"{PRIVATE}.{self.private}" if self.private is not None else None


@dataclass
class Booted:
    """The hosts, by plan name, with how long each took to boot (seconds) and the wall time."""

    hosts: dict[str, TestHost]
    boot_seconds: dict[str, float]
    wall_seconds: float
    ssh_key: Path


def ip(*arguments: str) -> None:
    subprocess.run(["ip", *arguments], check=True, capture_output=True)


def network_file(name: str, address: str, prefix: int) -> str:
    return (
        f"[Match]\nName={name}\n\n[Network]\nAddress={address}/{prefix}\n"
        "LinkLocalAddressing=no\nDHCP=no\nIPv6AcceptRA=no\n"
    )


def boot_one(
    plan: Plan, image: Path, workdir: Path, tag: str, public_key: str, bridges: tuple[str, str]
) -> tuple[TestHost, subprocess.Popen, float]:
    """Copy the image, write the host's network files, boot it and wait for SSH."""
    started = time.monotonic()
    root = workdir / plan.name / "rootfs"
    root.parent.mkdir()
    subprocess.run(["cp", "-a", "--reflink=auto", str(image), str(root)], check=True)
    machine_name = f"vvh{tag}{plan.name}"
    write_host_files(root, plan.address, machine_name, public_key)
    networks = root / "etc/systemd/network"
    (networks / "10-host0.network").write_text(network_file("host0", plan.address, PUBLIC_PREFIX))
    command = ["systemd-nspawn", "--quiet", "-D", str(root), f"--machine={machine_name}"]
    command += ["--boot", "--register=no", "--keep-unit", f"--network-bridge={bridges[0]}"]
    private_veth = f"vp{tag}{plan.name}"[:15]
    if plan.private_address:
        (networks / "10-priv0.network").write_text(network_file("priv0", plan.private_address, 24))
        command.append(f"--network-veth-extra={private_veth}:priv0")
    log = open(workdir / plan.name / "nspawn.log", "wb")  # noqa: SIM115 - closed with the machine
    machine = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    host = TestHost(
        name=plan.name,
        distribution=DEBIAN_12,
        address=plan.address,
        gateway=CONTROLLER,
        interface=bridges[0],
        workdir=workdir / plan.name,
        ssh_key=workdir / "ssh_key",
    )
    stopped = lambda: machine.poll() is not None  # noqa: E731
    try:
        if plan.private_address:
            wait_for("the private veth", lambda: link_exists(private_veth) or stopped(), 30)
            ip("link", "set", private_veth, "master", bridges[1], "up")
        wait_for("sshd answering", lambda: port_open(host.address, 22) or stopped(), 90)
        if stopped():
            log_text = (host.workdir / "nspawn.log").read_text()
            raise RuntimeError(f"{plan.name}: systemd-nspawn stopped:\n{log_text}")
        wait_for(
            "an SSH login",
            lambda: subprocess.run(host.ssh_command("true"), capture_output=True).returncode == 0,
            30,
        )
    except BaseException:
        stop(machine)
        raise
    return host, machine, time.monotonic() - started


@contextlib.contextmanager
def booted_hosts(plans: list[Plan], distribution: Distribution = DEBIAN_12) -> Iterator[Booted]:
    image = ensure_image(distribution)
    tag = str(os.getpid() % 10000)
    bridges = (f"vvhpub{tag}", f"vvhpriv{tag}")
    workdir = Path(tempfile.mkdtemp(prefix="visavis-hosts-"))
    machines: list[subprocess.Popen] = []
    made: list[str] = []
    lock = SubnetLock()
    try:
        used = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
        if f" {CONTROLLER}/" in used or f" {PRIVATE}." in used:
            raise RuntimeError(f"{CONTROLLER} or {PRIVATE}.0/24 is in use on this machine")
        for bridge in bridges:
            ip("link", "add", bridge, "type", "bridge")
            made.append(bridge)
            ip("link", "set", bridge, "up")
        # The controller has no address on the private bridge: it cannot reach that link.
        ip("addr", "add", f"{CONTROLLER}/{PUBLIC_PREFIX}", "dev", bridges[0])
        lock.release()
        key = workdir / "ssh_key"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "visavis-test", "-f", str(key)],
            check=True,
        )
        public_key = (workdir / "ssh_key.pub").read_text()
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=len(plans)) as pool:
            futures = [
                pool.submit(boot_one, plan, image, workdir, tag, public_key, bridges)
                for plan in plans
            ]
            results = []
            for future in futures:
                with contextlib.suppress(Exception):
                    results.append(future.result())
            machines += [machine for _, machine, _ in results]
            for future in futures:
                future.result()  # raises the first boot that failed, after keeping the others
        yield Booted(
            hosts={host.name: host for host, _, _ in results},
            boot_seconds={host.name: seconds for host, _, seconds in results},
            wall_seconds=time.monotonic() - started,
            ssh_key=key,
        )
    finally:
        lock.release()
        with ThreadPoolExecutor(max_workers=max(len(machines), 1)) as pool:
            list(pool.map(stop, machines))
        for bridge in made:
            subprocess.run(["ip", "link", "delete", bridge], capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)
