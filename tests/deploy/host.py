"""A throw-away Debian host: a copy of its release's cached image booted with systemd-nspawn.

The host gets its own veth pair with a /30 from 198.18.0.0/15 (the test address rule) and
no route beyond that link; sshd takes a key made for the run. Everything is torn down on
exit, whatever happened inside.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .image import DEBIAN_12, Distribution, ensure_image

# 198.18.<N>.0/30 for N in this range; one per running test host.
SUBNETS = range(160, 250)


@dataclass(frozen=True)
class TestHost:
    name: str
    distribution: Distribution
    address: str  # the container's, on host0
    gateway: str  # the controller's, on the ve- interface
    interface: str
    workdir: Path
    ssh_key: Path

    def ssh_command(self, *command: str) -> list[str]:
        return [
            "ssh",
            "-i",
            str(self.ssh_key),
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "ConnectTimeout=5",
            f"root@{self.address}",
            *command,
        ]

    def run(self, command: str, check: bool = True, timeout: float = 120, input: str = "") -> str:
        """Run a shell command on the host over SSH; returns its stdout."""
        done = subprocess.run(
            self.ssh_command(command), capture_output=True, text=True, timeout=timeout, input=input
        )
        if check and done.returncode:
            raise AssertionError(
                f"{command!r} exited {done.returncode} on the test host:\n"
                f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
            )
        return done.stdout


def free_subnet() -> int:
    used = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
    for number in SUBNETS:
        if f" 198.18.{number}." not in used:
            return number
    raise RuntimeError("no free 198.18.x.0/30 left for a test host")


def write_host_files(root: Path, address: str, name: str, public_key: str) -> None:
    network = root / "etc/systemd/network"
    network.mkdir(parents=True, exist_ok=True)
    # 10- sorts before the image's 80-container-host0.network, which would ask for DHCP.
    (network / "10-host0.network").write_text(
        f"[Match]\nName=host0\n\n[Network]\nAddress={address}/30\nLinkLocalAddressing=ipv6\n"
        "DHCP=no\nIPv6AcceptRA=no\n"
    )
    (root / "etc/hostname").write_text(name + "\n")
    (root / "etc/hosts").write_text(f"127.0.0.1 localhost\n127.0.1.1 {name}\n")
    # No DNS: the host reaches nothing but the controller, by address.
    resolv = root / "etc/resolv.conf"
    if resolv.is_symlink() or resolv.exists():
        resolv.unlink()
    resolv.write_text("")
    ssh = root / "root/.ssh"
    ssh.mkdir(mode=0o700, parents=True, exist_ok=True)
    (ssh / "authorized_keys").write_text(public_key)
    (ssh / "authorized_keys").chmod(0o600)
    subprocess.run(["ssh-keygen", "-A", "-f", str(root)], check=True, capture_output=True)


def wait_for(what: str, ready, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.2)
    raise TimeoutError(f"test host: {what} did not happen within {timeout:.0f} s")


def link_exists(interface: str) -> bool:
    return subprocess.run(["ip", "link", "show", interface], capture_output=True).returncode == 0


def port_open(address: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=1):
        return True
    return False


class SubnetLock:
    """Held from choosing a free subnet until its address is on the interface, so two test
    runs on one machine never pick the same one."""

    def __init__(self) -> None:
        self.file = open("/run/visavis-test-subnets.lock", "w")  # noqa: SIM115
        fcntl.flock(self.file, fcntl.LOCK_EX)

    def release(self) -> None:
        if not self.file.closed:
            self.file.close()  # closing drops the lock


@contextlib.contextmanager
def booted_host(distribution: Distribution = DEBIAN_12) -> Iterator[TestHost]:
    image = ensure_image(distribution)
    subnets = SubnetLock()
    number = free_subnet()
    # Short enough that "ve-" + name fits an interface name (15), unique per release and run.
    name = f"vvdep{distribution.name[-2:]}{os.getpid() % 10000}"
    interface = f"ve-{name}"[:15]
    workdir = Path(tempfile.mkdtemp(prefix="visavis-deploy-"))
    machine = None
    try:
        root = workdir / "rootfs"
        subprocess.run(["cp", "-a", "--reflink=auto", str(image), str(root)], check=True)
        key = workdir / "ssh_key"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "visavis-test", "-f", str(key)],
            check=True,
        )
        host = TestHost(
            name=name,
            distribution=distribution,
            address=f"198.18.{number}.2",
            gateway=f"198.18.{number}.1",
            interface=interface,
            workdir=workdir,
            ssh_key=key,
        )
        write_host_files(root, host.address, name, (workdir / "ssh_key.pub").read_text())
        machine = Machine(root, host)
        machine.start()
        subnets.release()
        wait_for("sshd answering", lambda: port_open(host.address, 22), 90)
        wait_for(
            "an SSH login",
            lambda: subprocess.run(host.ssh_command("true"), capture_output=True).returncode == 0,
            30,
        )
        yield host
    finally:
        subnets.release()
        if machine is not None:
            machine.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# systemd-nspawn's exit status when the container's systemd asked for a reboot.
REBOOT_EXIT_STATUS = 133


class Machine:
    """systemd-nspawn running a host's root on its veth pair. Like systemd-nspawn@.service
    (RestartForceExitStatus=133), it boots the same root again when the host reboots
    (`systemctl reboot` inside), so a test reboots the host as an operator would."""

    def __init__(self, root: Path, host: TestHost) -> None:
        self.root = root
        self.host = host
        self.process: subprocess.Popen | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        """Boot the root and give the controller's end of the veth its address; raises
        RuntimeError when systemd-nspawn stops before the link is up."""
        log = open(self.host.workdir / "nspawn.log", "ab")  # noqa: SIM115 - closed below
        with log:
            self.process = process = subprocess.Popen(
                [
                    "systemd-nspawn",
                    "--quiet",
                    "-D",
                    str(self.root),
                    f"--machine={self.host.name}",
                    "--boot",
                    "--register=no",
                    "--keep-unit",
                    "--network-veth",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        interface = self.host.interface
        wait_for("the veth link", lambda: link_exists(interface) or process.poll() is not None, 30)
        if process.poll() is not None:
            log_text = (self.host.workdir / "nspawn.log").read_text(errors="replace")
            raise RuntimeError(f"systemd-nspawn stopped:\n{log_text[-3000:]}")
        subprocess.run(
            ["ip", "addr", "add", f"{self.host.gateway}/30", "dev", interface], check=True
        )
        subprocess.run(["ip", "link", "set", interface, "up"], check=True)
        threading.Thread(target=self._boot_again_after_reboot, args=(process,), daemon=True).start()

    def _boot_again_after_reboot(self, process: subprocess.Popen) -> None:
        if process.wait() != REBOOT_EXIT_STATUS or self._stopping.is_set():
            return
        # Held until the address is back, so no other test run takes the subnet meanwhile.
        subnets = SubnetLock()
        try:
            self.start()
        finally:
            subnets.release()

    def stop(self) -> None:
        self._stopping.set()
        if self.process is not None:
            stop(self.process)


def stop(machine: subprocess.Popen) -> None:
    """Ask systemd in the container to power off; kill it if it takes too long."""
    if machine.poll() is None:
        machine.send_signal(signal.SIGTERM)
        try:
            machine.wait(40)
        except subprocess.TimeoutExpired:
            os.killpg(machine.pid, signal.SIGKILL)
            machine.wait(10)
