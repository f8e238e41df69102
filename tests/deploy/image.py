"""The cached Debian images the deployment tests boot: one per release, built once with
debootstrap from the mirror in this machine's own apt sources."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

CACHE_DIR = Path(os.environ.get("VISAVIS_TEST_CACHE", "/var/cache/visavis"))
# Holds the keys of every current Debian release (bookworm's package has trixie's too):
# debootstrap checks the suite's Release file with it.
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")

# Booting and reaching the host, plus every package the playbook installs: the booted test
# host has no route to a mirror, so the playbook's apt tasks find these already installed.
# debootstrap makes a bootable base; apt-get in the chroot adds the rest (it resolves virtual
# packages, which debootstrap's --include does not).
BASE_PACKAGES = ("systemd", "systemd-sysv", "dbus", "python3", "ca-certificates")
PACKAGES = (
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
    # the redis role's Redis, for a host of the `redis` group (tests/deploy/test_several_hosts.py)
    "redis-server",
)


@dataclass(frozen=True)
class Distribution:
    """A Debian release the deployment tests boot, and how its image is made."""

    name: str  # the image's name and the tests' id, e.g. "debian12"
    version: str  # the major version, as /etc/os-release's VERSION_ID and Ansible's facts say
    suite: str  # the archive's code name, e.g. "bookworm"
    # Bump when the package list or the image preparation changes: a new one forces a rebuild.
    image_version: str

    @property
    def image_dir(self) -> Path:
        # One folder per version: a run of a branch with another version (on one machine)
        # keeps its own, rather than removing an image another run may be copying.
        return CACHE_DIR / f"{self.name}-rootfs-v{self.image_version}"


DEBIAN_12 = Distribution("debian12", "12", "bookworm", image_version="4")
DEBIAN_13 = Distribution("debian13", "13", "trixie", image_version="3")
DISTRIBUTIONS = (DEBIAN_12, DEBIAN_13)


def debian_mirror(sources: Path = Path("/etc/apt")) -> str:
    """The Debian mirror this machine's apt uses (never hard-coded): the one serving a release
    we know serves them all."""
    known = {distribution.suite for distribution in DISTRIBUTIONS}
    candidates: list[str] = []
    for path in sorted(sources.glob("sources.list.d/*.sources")):
        for stanza in path.read_text().split("\n\n"):
            fields = dict(
                line.split(":", 1)
                for line in stanza.splitlines()
                if ":" in line and not line.startswith("#")
            )
            suites = fields.get("Suites", "").split()
            if known & set(suites) and "deb" in fields.get("Types", "").split():
                candidates += fields.get("URIs", "").split()
    suite_names = "|".join(sorted(known))
    for path in [sources / "sources.list", *sorted(sources.glob("sources.list.d/*.list"))]:
        if path.is_file():
            for line in path.read_text().splitlines():
                pattern = r"deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(?:" + suite_names + r")\s"
                match = re.match(pattern, line + " ")
                if match:
                    candidates.append(match.group(1))
    for uri in candidates:
        if not uri.rstrip("/").endswith("-security"):
            return uri
    raise RuntimeError("no apt source for a Debian release on this machine to debootstrap from")


def ensure_image(distribution: Distribution = DEBIAN_12) -> Path:
    """Return the release's cached rootfs, building it when missing (in a temp dir, then
    renamed)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    # Test runs of several people on one machine: one builds, the others wait for it.
    with open(CACHE_DIR / f".{distribution.name}-rootfs.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_image(distribution)


def _ensure_image(distribution: Distribution) -> Path:
    image = distribution.image_dir
    stamp = image / ".visavis-image"
    if stamp.is_file() and stamp.read_text().strip() == distribution.image_version:
        return image
    build = Path(tempfile.mkdtemp(prefix=f"{distribution.name}-build-", dir=CACHE_DIR))
    build.chmod(0o755)  # it becomes the host's /, which services of other users traverse
    try:
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--keyring={KEYRING}",
                f"--include={','.join(BASE_PACKAGES)}",
                distribution.suite,
                str(build),
                debian_mirror(),
            ],
            check=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        install_packages(build)
        prepare(build)
        (build / ".visavis-image").write_text(distribution.image_version + "\n")
        if image.exists():
            shutil.rmtree(image)
        build.rename(image)
    except subprocess.CalledProcessError as error:
        log = build / "debootstrap/debootstrap.log"
        details = log.read_text()[-3000:] if log.is_file() else error.stdout.decode()[-3000:]
        raise RuntimeError(f"building the {distribution.name} image failed:\n{details}") from None
    finally:
        if build.exists():
            shutil.rmtree(build)
    return image


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
    import sys

    wanted = sys.argv[1:] or [distribution.name for distribution in DISTRIBUTIONS]
    for distribution in DISTRIBUTIONS:
        if distribution.name in wanted:
            print(ensure_image(distribution))
