"""The compose tests' shared parts. Checked without Docker: the compose file, what `make
compose-config` renders, the init step's certificate, and the signaling image's install step
run on this machine (test_stack.py runs the stack itself with Docker).

Container paths in the rendered files are mapped to where the test put the same files, the
way docker-compose.yml's mounts map them (named volume -> a temporary folder, bind mount ->
its source), so a path the compose file forgot to mount stays unmapped and fails."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
ENV_EXAMPLE = REPO / ".env.example"
# The deploy's wheel cache (signaling_wheel_cache): the image installs the same wheelhouse.
WHEEL_CACHE = Path("/var/cache/visavis/wheelhouse")
DOMAIN = "visavis.test"


def load_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def read_env(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of an env file (.env, the rendered signaling.env)."""
    lines = [line for line in path.read_text().splitlines() if line and line[0] != "#"]
    return dict(line.split("=", 1) for line in lines if "=" in line)


def dockerfile_arg(name: str) -> str:
    found = re.search(rf"^ARG {name}=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    assert found, f"the Dockerfile has no ARG {name} with a default"
    return found.group(1)


def in_namespace(namespace: str, *command: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ip", "netns", "exec", namespace, *command], capture_output=True, text=True, **options
    )


def wait_for_listener(namespace: str, port: int, process: subprocess.Popen) -> bool:
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        if in_namespace(namespace, "ss", "-Hltn", f"sport = :{port}").stdout.strip():
            return True
        time.sleep(0.3)
    return False


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output or ""


@dataclass
class Site:
    """One compose site as `make compose-config` and the init step leave it."""

    env_file: Path
    rendered: Path
    volumes: dict[str, Path]  # named volume -> the folder standing for it

    def mounts(self, service: str) -> list[tuple[str, Path]]:
        """(container path, host path) of a service's mounts, longest container path first."""
        pairs = []
        for spec in load_compose()["services"][service].get("volumes", []):
            source, target = spec.split(":")[:2]
            if source.startswith("./compose/rendered/"):
                host = self.rendered / source.removeprefix("./compose/rendered/")
            elif source.startswith("./"):
                host = REPO / source
            else:
                host = self.volumes[source]
            pairs.append((target, host))
        return sorted(pairs, key=lambda pair: -len(pair[0]))

    def mapped(self, service: str, rendered_name: str, output: Path) -> Path:
        """The rendered file with the service's container paths replaced by host paths."""
        text = (self.rendered / rendered_name).read_text()
        for target, host in self.mounts(service):
            text = re.sub(rf"{re.escape(target)}(?=[/\s;\"]|$)", str(host), text, flags=re.M)
        output.write_text(text)
        return output


def render(env_file: Path, output: Path) -> subprocess.CompletedProcess:
    """compose/render.py as `make compose-config` runs it."""
    return subprocess.run(
        [
            sys.executable,
            str(REPO / "compose/render.py"),
            "--env-file",
            str(env_file),
            "--output",
            str(output),
            "--ansible-playbook",
            str(REPO / ".venv/bin/ansible-playbook"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Site:
    """.env.example with DOMAIN set, rendered, and the init step run on the `tls` volume."""
    workdir = tmp_path_factory.mktemp("compose-site")
    env_file = workdir / ".env"
    env_file.write_text(
        ENV_EXAMPLE.read_text().replace("DOMAIN=call.example.org", f"DOMAIN={DOMAIN}")
    )
    done = render(env_file, workdir / "rendered")
    assert done.returncode == 0, done.stdout + done.stderr
    volumes = {name: workdir / "volumes" / name for name in load_compose()["volumes"]}
    for folder in volumes.values():
        folder.mkdir(parents=True)
    init = subprocess.run(
        ["sh", str(REPO / "compose/init.sh")],
        env={
            **os.environ,
            "DOMAIN": DOMAIN,
            "TLS_DIR": str(volumes["tls"]),
            "GIVEN_DIR": str(workdir / "given"),
        },  # no certificate given
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    return Site(env_file=env_file, rendered=workdir / "rendered", volumes=volumes)


@pytest.fixture(scope="session")
def signaling_venv(tmp_path_factory) -> Path:
    """The signaling image's install step, on the deploy's wheelhouse for this Python."""
    wheels = subprocess.run(
        [
            sys.executable,
            str(REPO / "infra/ansible/roles/signaling/files/build_wheelhouse.py"),
            "--project",
            str(REPO),
            "--cache",
            str(WHEEL_CACHE),
            "--python-version",
            "{}.{}".format(*sys.version_info[:2]),
            "--machine",
            platform.machine(),
            "--extras",
            dockerfile_arg("EXTRAS"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert wheels.returncode == 0, wheels.stdout + wheels.stderr
    workdir = tmp_path_factory.mktemp("signaling-image")
    wheels_json = workdir / "wheels.json"
    wheels_json.write_text(wheels.stdout)
    json.loads(wheels.stdout)
    venv = workdir / "venv"
    install = subprocess.run(
        [
            sys.executable,
            str(REPO / "compose/install_signaling.py"),
            str(wheels_json),
            str(venv),
            "--extras",
            dockerfile_arg("EXTRAS"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    return venv


@pytest.fixture
def sockets() -> Iterator[Path]:
    """A short folder for the unix sockets behind the router (108 bytes at most)."""
    folder = Path(tempfile.mkdtemp(prefix="vvcompose-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def namespace(request) -> Iterator[str]:
    """A closed network namespace with one test address, 198.51.100.20, named `signaling`
    (and the domain) in its /etc/hosts as compose's network would resolve it."""
    name = f"vvcompose{os.getpid() % 100000}"
    hosts_dir = Path("/etc/netns") / name
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        hosts_dir.mkdir(parents=True, exist_ok=True)
        (hosts_dir / "hosts").write_text(f"127.0.0.1 localhost\n198.51.100.20 signaling {DOMAIN}\n")
        for command in (
            ["link", "set", "lo", "up"],
            ["link", "add", "vv0", "type", "veth", "peer", "name", "vv1"],
            ["addr", "add", "198.51.100.20/24", "dev", "vv0"],
            ["link", "set", "vv0", "up"],
            ["link", "set", "vv1", "up"],
        ):
            subprocess.run(["ip", "-n", name, *command], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=True)
        (hosts_dir / "hosts").unlink(missing_ok=True)
        hosts_dir.rmdir()
        with contextlib.suppress(OSError):
            hosts_dir.parent.rmdir()  # /etc/netns, unless other tests use it too
