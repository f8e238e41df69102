"""The cached Debian 12 image the deployment tests boot: built once with debootstrap."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

CACHE_DIR = Path(os.environ.get("VISAVIS_TEST_CACHE", "/var/cache/visavis"))
SUITE = "bookworm"
# Bump when the package list or the image preparation changes: a new name forces a rebuild.
IMAGE_VERSION = "3"
# One folder per version: runs of branches with another version (on one machine) keep
# theirs, rather than removing an image another run may be copying.
IMAGE_DIR = CACHE_DIR / f"debian12-rootfs-v{IMAGE_VERSION}"

# Booting and reaching the host, plus every package the playbook installs: the booted test
# host has no route to a mirror, so the playbook's apt tasks find these already installed.
# debootstrap makes a bootable base; apt-get in the chroot adds the rest (it resolves virtual
# packages, which debootstrap's --include does not).
BASE_PACKAGES = ["systemd", "systemd-sysv", "dbus", "python3", "ca-certificates"]
PACKAGES = [
    # a host that boots and takes SSH
    "libpam-systemd",
    "openssh-server",
    "iproute2",
    "procps",
    "python3-apt",
    "netbase",
    # what the playbook installs (infra/ansible/roles/*/defaults/main.yml)
    "python3-venv",
    "nginx",
    "libnginx-mod-stream",
    "coturn",
    "certbot",
    "openssl",
    "nftables",
    "curl",
]


def debian_mirror(sources: Path = Path("/etc/apt")) -> str:
    """The Debian mirror this machine's apt uses for the main suite (never hard-coded)."""
    candidates: list[str] = []
    for path in sorted(sources.glob("sources.list.d/*.sources")):
        for stanza in path.read_text().split("\n\n"):
            fields = dict(
                line.split(":", 1)
                for line in stanza.splitlines()
                if ":" in line and not line.startswith("#")
            )
            suites = fields.get("Suites", "").split()
            if SUITE in suites and "deb" in fields.get("Types", "").split():
                candidates += fields.get("URIs", "").split()
    for path in [sources / "sources.list", *sorted(sources.glob("sources.list.d/*.list"))]:
        if path.is_file():
            for line in path.read_text().splitlines():
                match = re.match(r"deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+" + SUITE + r"\s", line + " ")
                if match:
                    candidates.append(match.group(1))
    for uri in candidates:
        if not uri.rstrip("/").endswith("-security"):
            return uri
    raise RuntimeError(f"no apt source for Debian {SUITE} on this machine to debootstrap from")


def ensure_image() -> Path:
    """Return the cached rootfs, building it when missing (into a temp dir, then renamed)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    # Test runs of several people on one machine: one builds, the others wait for it.
    with open(CACHE_DIR / ".debian12-rootfs.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_image()


def _ensure_image() -> Path:
    stamp = IMAGE_DIR / ".visavis-image"
    if stamp.is_file() and stamp.read_text().strip() == IMAGE_VERSION:
        return IMAGE_DIR
    build = Path(tempfile.mkdtemp(prefix="debian12-build-", dir=CACHE_DIR))
    build.chmod(0o755)  # it becomes the host's /, which services of other users traverse
    try:
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(BASE_PACKAGES)}",
                SUITE,
                str(build),
                debian_mirror(),
            ],
            check=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        install_packages(build)
        prepare(build)
        (build / ".visavis-image").write_text(IMAGE_VERSION + "\n")
        if IMAGE_DIR.exists():
            shutil.rmtree(IMAGE_DIR)
        build.rename(IMAGE_DIR)
    except subprocess.CalledProcessError as error:
        log = build / "debootstrap/debootstrap.log"
        details = log.read_text()[-3000:] if log.is_file() else error.stdout.decode()[-3000:]
        raise RuntimeError(f"debootstrap failed:\n{details}") from None
    finally:
        if build.exists():
            shutil.rmtree(build)
    return IMAGE_DIR


def install_packages(root: Path) -> None:
    """apt-get inside the chroot, with services kept from starting there."""
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    environment = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    try:
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES],
            ["apt-get", "clean"],
        ):
            subprocess.run(
                ["chroot", str(root), *command],
                env=environment,
                check=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
    finally:
        policy.unlink()


def prepare(root: Path) -> None:
    """Make the image boot to sshd with networkd; per-run details are written on each copy."""
    enable = root / "etc/systemd/system/multi-user.target.wants"
    enable.mkdir(parents=True, exist_ok=True)
    for unit in ("systemd-networkd.service", "ssh.service"):
        link = enable / unit
        if not (link.is_symlink() or link.exists()):
            link.symlink_to(f"/lib/systemd/system/{unit}")
    # A fresh machine-id per boot, host keys made per run (see tests/deploy/host.py).
    (root / "etc/machine-id").write_text("")
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    # Services the packages started in the chroot must not carry state into the image.
    shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
    (root / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)


if __name__ == "__main__":
    print(ensure_image())
