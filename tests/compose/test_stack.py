"""docker-compose.yml run for real: images built here (tests/compose/engine.py), the stack up
and healthy on a Docker engine of the test's own inside a network namespace, a call between
two Chromium pages through nginx, signaling and the coturn container, a renewed certificate
reaching nginx and coturn, and `down -v` leaving nothing behind.

The stack directory is a copy of this checkout (tracked and untracked, not ignored files), as
an operator's clone would be; its .env is .env.example with the test's values and its
compose/rendered/ is what `make compose-config` wrote. compose.test.yml only swaps the
registry images for local ones and shortens the healthcheck intervals.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.certs import self_signed
from tests.deploy.test_call_through_deployment import HOST_NAME, assert_relayed_through

from .conftest import DOMAIN, ENV_EXAMPLE, REPO, dockerfile_arg, read_env
from .engine import Engine, build_local_images, cache_lock, image_sizes

# A cold run debootstraps and builds every image first: 2 to 18 minutes, as busy as the
# machine is.
pytestmark = pytest.mark.timeout(2400)

OVERRIDE = Path(__file__).with_name("compose.test.yml")
# The Docker host's "public" address, inside its namespace; browsers and coturn meet there.
STACK_ADDRESS = "198.18.0.10"
INTERNAL_SUBNET = "198.18.2.0/24"
SERVICES = ("signaling", "nginx", "coturn")


@dataclass
class Stack:
    engine: Engine
    directory: Path
    netns: str
    image_sizes: dict[str, int] = field(default_factory=dict)

    def compose(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return self.engine.docker(
            "compose",
            "--project-directory",
            str(self.directory),
            "--file",
            str(self.directory / "docker-compose.yml"),
            "--file",
            str(OVERRIDE),
            *args,
            timeout=timeout,
        )

    def checked(self, *args: str, timeout: float = 300) -> str:
        done = self.compose(*args, timeout=timeout)
        assert done.returncode == 0, f"compose {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done.stdout

    def in_netns(self, *command: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["nsenter", f"--net=/run/netns/{self.netns}", *command],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=REPO,  # for `-m tests...`
        )

    def logs(self, *services: str) -> str:
        return self.compose("logs", "--no-color", *services).stdout

    def served_certificate(self, port: int, name: str = DOMAIN) -> str:
        """The SHA-256 fingerprint of the certificate nginx (443) or coturn (5349, or 443 for
        the TURN name) presents to a ClientHello asking for name."""
        hello = self.in_netns(
            "openssl",
            "s_client",
            "-connect",
            f"{STACK_ADDRESS}:{port}",
            "-servername",
            name,
            timeout=30,
        )
        return fingerprint(hello.stdout)


def fingerprint(pem: str) -> str:
    done = subprocess.run(
        ["openssl", "x509", "-noout", "-fingerprint", "-sha256"],
        input=pem,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def copy_checkout(target: Path) -> Path:
    """The files a clone would have (with this working tree's changes)."""
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def site_env() -> str:
    values = {
        "DOMAIN": DOMAIN,
        "INTERNAL_SUBNET": INTERNAL_SUBNET,
        # Both browsers' relay candidates are on this address: coturn relays between them.
        "TURN_ALLOWED_PEER_IPS": STACK_ADDRESS,
        # The host's own address: nginx reaches coturn there for TURN over TLS on 443.
        "TURN_EXTERNAL_IP": STACK_ADDRESS,
    }
    lines = ENV_EXAMPLE.read_text().splitlines()
    for name, value in values.items():
        lines = [f"{name}={value}" if line.startswith(f"{name}=") else line for line in lines]
    return "\n".join(lines) + "\n"


def make_compose_config(directory: Path) -> None:
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(REPO),
            "compose-config",
            f"COMPOSE_ENV={directory / '.env'}",
            f"COMPOSE_RENDERED={directory / 'compose/rendered'}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@contextlib.contextmanager
def network_namespace(name: str) -> Iterator[str]:
    """A closed namespace with the Docker host's address on a veth pair of its own."""
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        for command in (
            ["link", "set", "lo", "up"],
            ["link", "add", "vvpublic", "type", "veth", "peer", "name", "vvpeer"],
            ["addr", "add", f"{STACK_ADDRESS}/24", "dev", "vvpublic"],
            ["link", "set", "vvpublic", "up"],
            ["link", "set", "vvpeer", "up"],
        ):
            subprocess.run(["ip", "-n", name, *command], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("compose-stack")
    directory = copy_checkout(workdir / "visavis")
    (directory / ".env").write_text(site_env())
    make_compose_config(directory)
    python_image = f"python:{dockerfile_arg('PYTHON_VERSION')}-slim-bookworm"
    with cache_lock():
        build = Engine(workdir)
        try:
            build.start()
            build_local_images(build, workdir, python_image)
            Stack(build, directory, "").checked("build", "signaling", timeout=900)
            # Layers a rebuild replaced, after a week: younger ones are the builder stage's
            # cache, which spares a warm run the wheel downloads.
            build.checked("image", "prune", "--force", "--filter", "until=168h")
            sizes = image_sizes(build)
        finally:
            build.stop()
        with network_namespace(f"vvdocker{workdir.stat().st_ino % 100000}") as netns:
            engine = Engine(workdir, netns)
            running = Stack(engine, directory, netns, sizes)
            try:
                engine.start()
                running.compose("down", "--volumes")  # what an interrupted run left
                up = running.compose("up", "--detach", "--wait", "--no-build")
                assert up.returncode == 0, up.stdout + up.stderr + running.logs()
                yield running
            finally:
                with contextlib.suppress(Exception):
                    running.compose("down", "--volumes", timeout=120)
                engine.stop()


def services(stack: Stack) -> dict[str, dict]:
    lines = stack.checked("ps", "--all", "--format", "json").splitlines()
    return {entry["Service"]: entry for entry in map(json.loads, filter(None, lines))}


def test_stack_comes_up_healthy_after_init_exits_0(stack):
    running = services(stack)
    assert set(running) == {"init", *SERVICES}
    for name in SERVICES:
        assert (running[name]["State"], running[name]["Health"]) == ("running", "healthy"), name
    assert running["init"]["State"] == "exited" and running["init"]["ExitCode"] == 0
    assert "is ready" in stack.logs("init")
    # Built here, from Debian's packages: no image came from a registry.
    assert set(stack.image_sizes) >= {
        "visavis-signaling:local",
        "visavis-test/nginx:debian12",
        "visavis-test/coturn:debian12",
    }


def test_containers_run_on_what_make_compose_config_rendered(stack):
    rendered = stack.directory / "compose/rendered"
    site = stack.checked("exec", "-T", "nginx", "cat", "/etc/nginx/conf.d/default.conf")
    assert site == (rendered / "visavis.conf").read_text()
    coturn = stack.checked("exec", "-T", "coturn", "cat", "/etc/coturn/turnserver.conf")
    assert coturn == (rendered / "turnserver.conf").read_text()
    assert f"allowed-peer-ip={STACK_ADDRESS}\n" in coturn  # the test's .env reached coturn
    environment = dict(
        line.split("=", 1)
        for line in stack.checked("exec", "-T", "signaling", "env").splitlines()
        if "=" in line
    )
    for name, value in read_env(rendered / "signaling.env").items():
        assert environment.get(name) == value, name
    secret = read_env(stack.directory / ".env")["TURN_SECRET"]
    assert environment["VISAVIS_TURN_SECRET"] == secret  # generated into .env, shared by both
    assert f"static-auth-secret={secret}\n" in coturn


def test_engine_kept_to_its_namespace_and_the_test_ranges(stack):
    # Nothing of Docker's in the host's firewall, and forwarding left off in the namespace.
    for command in (["iptables-save"], ["nft", "list", "ruleset"]):
        done = subprocess.run(command, capture_output=True, text=True)
        assert "DOCKER" not in done.stdout, command
    assert stack.in_netns("sysctl", "-n", "net.ipv4.ip_forward").stdout.strip() == "0"
    assert "DOCKER" not in stack.in_netns("iptables-save").stdout
    addresses = json.loads(stack.in_netns("ip", "-json", "-4", "address").stdout)
    found = {a["local"] for link in addresses for a in link["addr_info"]}
    assert {STACK_ADDRESS, "198.18.1.1", "198.18.2.1"} <= found  # docker0, compose's network
    assert all(a == "127.0.0.1" or a.startswith("198.18.") for a in found), found


def test_nginx_serves_the_client_and_proxies_healthz_to_signaling(stack):
    curl = [
        "curl",
        "--silent",
        "--insecure",
        "--resolve",
        f"{DOMAIN}:443:{STACK_ADDRESS}",
        "--resolve",
        f"{DOMAIN}:80:{STACK_ADDRESS}",
    ]
    page = stack.in_netns(*curl, f"https://{DOMAIN}/")
    assert "<html" in page.stdout.lower()
    health = stack.in_netns(*curl, "--write-out", "%{http_code}", f"https://{DOMAIN}/healthz")
    assert health.stdout.endswith("200"), health.stdout
    redirect = stack.in_netns(
        *curl, "--write-out", "%{http_code}", "--output", "/dev/null", f"http://{DOMAIN}/abc"
    )
    assert redirect.stdout == "301"


TURN_ON_443 = f"""
import base64, hashlib, hmac, sys, time
sys.path.insert(0, "infra/verify")
import stun
username = f"{{int(time.time()) + 600}}:stack"
secret = sys.argv[1].encode()
password = base64.b64encode(hmac.new(secret, username.encode(), hashlib.sha1).digest()).decode()
reply = stun.allocate("{STACK_ADDRESS}", 443, username, password, tls_name="turn.{DOMAIN}")
print(reply.kind == stun.ALLOCATE_SUCCESS, reply.relayed_address)
"""


def test_turn_on_443_reaches_the_coturn_container_through_nginx(stack):
    # nginx's router passes turn.DOMAIN to coturn (host network) at the compose gateway.
    router = stack.checked("exec", "-T", "nginx", "cat", "/etc/nginx/visavis-stream.conf")
    assert router == (stack.directory / "compose/rendered/visavis-stream.conf").read_text()
    on_443 = stack.served_certificate(443, name=f"turn.{DOMAIN}")
    assert on_443 == stack.served_certificate(5349)
    secret = read_env(stack.directory / ".env")["TURN_SECRET"]
    done = stack.in_netns(sys.executable, "-c", TURN_ON_443, secret)
    assert done.returncode == 0, done.stderr[-2000:]
    granted, relayed = done.stdout.split()
    assert granted == "True" and relayed.startswith(f"{STACK_ADDRESS}:"), done.stdout


def test_two_browsers_call_through_nginx_signaling_and_the_coturn_container(stack):
    seats_before = stack.logs("signaling").count('"event":"seat-taken"')
    # The only TURN listener on the stack's address is the coturn container's turnserver.
    listeners = stack.in_netns("ss", "-Hlunp", f"src {STACK_ADDRESS}:3478").stdout
    assert '"turnserver"' in listeners, listeners
    # ACCESS=hosts (.env.example): the host enrols from the link the README's command prints.
    printed = stack.checked(
        "exec",
        "-T",
        "signaling",
        "python",
        "-m",
        "signaling",
        "enrol",
        "--name",
        HOST_NAME,
        "--url",
        f"https://{DOMAIN}",
    )
    link = printed.split()[-1]
    assert link.startswith(f"https://{DOMAIN}/enrol#"), printed
    done = stack.in_netns(
        sys.executable,
        "-m",
        "tests.deploy.test_call_through_deployment",
        DOMAIN,
        STACK_ADDRESS,
        link,
        timeout=240,
    )
    assert_relayed_through(done, STACK_ADDRESS)
    # Both seats were taken on the signaling container, through nginx's /ws.
    assert stack.logs("signaling").count('"event":"seat-taken"') == seats_before + 2
    # The host who enrolled outlives a restart: hosts are kept in the `state` volume.
    hosts = ("exec", "-T", "signaling", "python", "-m", "signaling", "hosts")
    assert HOST_NAME in stack.checked(*hosts)
    stack.checked("restart", "signaling")
    assert HOST_NAME in stack.checked(*hosts)


def test_renewed_certificate_reaches_nginx_and_coturn(stack, tmp_path):
    old = stack.served_certificate(443)
    assert old == stack.served_certificate(5349)
    given = stack.directory / "compose/certs"
    self_signed(given, DOMAIN, [f"DNS:{DOMAIN}"], days=30)
    new = fingerprint((given / "cert.pem").read_text())
    try:
        # The README's path for a certificate of one's own: init installs it into the volume.
        assert "installing the certificate" in stack.checked("run", "--rm", "init")
        # Until told, nginx keeps serving the one it loaded: the check below can fail.
        assert stack.served_certificate(443) == old
        stack.checked("exec", "-T", "nginx", "nginx", "-s", "reload")
        # coturn is told by its entrypoint's check (every minute): SIGUSR2, no restart.
        deadline = time.monotonic() + 90
        while stack.served_certificate(443) != new or stack.served_certificate(5349) != new:
            assert time.monotonic() < deadline, "the renewed certificate was not served"
            time.sleep(1)
        assert "coturn.sh: the certificate changed" in stack.logs("coturn")
        started = time.monotonic()
        stack.checked("restart", "coturn")
        # Stopped by its SIGTERM (compose's `init: true`), not killed after Docker's 10 s.
        assert time.monotonic() - started < 5
    finally:
        for name in ("cert.pem", "key.pem"):
            (given / name).unlink()


def test_down_with_volumes_leaves_nothing_behind(stack):
    project = ["--filter", "label=com.docker.compose.project=visavis", "--quiet"]
    listings = (["ps", "--all", *project], ["volume", "ls", *project], ["network", "ls", *project])
    assert all(stack.engine.checked(*listing).strip() for listing in listings)  # control
    stack.checked("down", "--volumes", timeout=120)
    for listing in listings:
        assert stack.engine.checked(*listing).strip() == "", listing
    links = {link["ifname"] for link in json.loads(stack.in_netns("ip", "-json", "link").stdout)}
    assert links == {"lo", "vvpublic", "vvpeer", "docker0"}  # no bridge, no veth left
    assert stack.in_netns("ss", "-Hlntu").stdout.strip() == ""  # coturn, nginx's proxies gone
