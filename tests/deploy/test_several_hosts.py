"""A site split over five booted Debian 12 hosts, deployed with one `make deploy` (one
ansible-playbook run, its forks working on every host at once): two web hosts (web2 with two
signaling instances), two TURN hosts sharing one secret, and a Redis host the web hosts reach
over a private link only (tests/deploy/several_hosts.py draws the networks). `make verify`
passes against every host; two people on different web hosts call each other through a TURN
host; Redis is out of the public side's reach, and rooms are shared through it alone.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import DOMAIN, REPO, _measurements
from .host import TestHost
from .several_hosts import CONTROLLER, Booted, Plan, booted_hosts

pytestmark = pytest.mark.timeout(1200)  # includes booting the hosts and the deploy

PLANS = [
    Plan("web1", 11, private=11),
    Plan("web2", 12, private=12),
    Plan("turn1", 21),
    Plan("turn2", 22),
    Plan("redis1", 31, private=31),
]
REDIS_PORT = 6379
TURNS = ("turn1", "turn2")


@dataclass
class Site:
    booted: Booted
    inventory: Path
    deploy_output: str
    deploy_seconds: float

    def __getitem__(self, name: str) -> TestHost:
        return self.booted.hosts[name]

    def make(self, verb: str, *settings: str, timeout: float = 1200) -> str:
        command = ["make", "--no-print-directory", "-C", str(REPO), verb]
        command += [f"INVENTORY={self.inventory}", *settings]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
        (self.inventory.parent / f"make-{verb}.log").write_text(done.stdout + done.stderr)
        if done.returncode:
            output = f"{done.stdout[-8000:]}\n{done.stderr[-2000:]}"
            raise AssertionError(f"make {verb} exited {done.returncode}:\n{output}")
        return done.stdout


def write_inventory(booted: Booted) -> Path:
    """The split site's inventory, in the groups site.yml knows; hosts are named by their
    public address (browsers reach the TURN hosts by it: no DNS here)."""
    hosts = {plan.name: plan for plan in PLANS}

    def entry(name: str, extra: str = "") -> str:
        plan = hosts[name]
        private = f"visavis_private_address: {plan.private_address}, " if plan.private else ""
        return f"        {plan.address}: {{{private}{extra}}}  # {name}\n"

    turn = [hosts["turn1"].address, hosts["turn2"].address]
    inventory = booted.ssh_key.parent / "hosts.yml"
    inventory.write_text(
        f"""visavis:
  vars:
    ansible_user: root
    ansible_ssh_private_key_file: {booted.ssh_key}
    ansible_ssh_common_args: >-
      -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
    # The hosts have no route to a mirror: the image carries the packages already.
    common_apt_update_cache: false
    # Anyone may start a meeting: the call below needs no enrolment.
    signaling_access: open
    # Relay to relay between the two TURN hosts and the browsers on the controller: test
    # addresses are denied by default.
    coturn_allowed_peer_ips: ["{CONTROLLER}", "{turn[0]}", "{turn[1]}"]
  children:
    web:
      vars:
        nginx_turns_on_443: false
      hosts:
{entry("web1")}{entry("web2", "signaling_instances: 2")}    turn:
      vars:
        certs_domain: "{{{{ inventory_hostname }}}}"
      hosts:
{entry("turn1")}{entry("turn2")}    redis:
      hosts:
{entry("redis1")}"""
    )
    return inventory


def journals(booted: Booted) -> str:
    """The firewall's and the failed units' journals of every host, for a failed deploy."""
    command = "systemctl --failed --no-legend; journalctl -u nftables --no-pager -n 30"
    return "\n".join(
        f"--- {name}:\n{host.run(command, check=False)[-2000:]}"
        for name, host in booted.hosts.items()
    )


@pytest.fixture(scope="module")
def site(request) -> Iterator[Site]:
    noted = request.config.stash.setdefault(_measurements, [])

    def measure(line: str) -> None:
        noted.append(f"test_several_hosts: {line}")

    with booted_hosts(PLANS) as booted:
        boots = ", ".join(f"{name} {seconds:.1f}" for name, seconds in booted.boot_seconds.items())
        measure(
            f"boot of {len(PLANS)} hosts in parallel: {booted.wall_seconds:.1f} s "
            f"(one after the other would add up: {boots} = "
            f"{sum(booted.boot_seconds.values()):.1f} s)"
        )
        inventory = write_inventory(booted)
        started = time.monotonic()
        done = Site(booted, inventory, "", 0.0)
        try:
            done.deploy_output = done.make(
                "deploy", "HOST=visavis", f"DOMAIN={DOMAIN}", "TLS=selfsigned"
            )
        except AssertionError as error:
            raise AssertionError(f"{error}\n{journals(booted)}") from None
        done.deploy_seconds = time.monotonic() - started
        measure(f"one ansible-playbook run on {len(PLANS)} hosts: {done.deploy_seconds:.1f} s")
        yield done


def test_one_playbook_run_deploys_every_host(site):
    recaps = re.findall(r"^(\S+)\s+:\s+(ok=.*)$", site.deploy_output, re.MULTILINE)
    assert sorted(host for host, _ in recaps) == sorted(plan.address for plan in PLANS)
    for host, line in recaps:
        counts = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line)}
        assert counts["failed"] == counts["unreachable"] == 0, (host, line)
        assert counts["changed"] > 0, host


def test_every_host_gets_its_groups_parts_only(site):
    # What the deploy made (the image carries every package, and Debian starts nginx, coturn
    # and Redis when installed, so a running daemon proves nothing here).
    made = {
        "web": "/etc/visavis/signaling.env",
        "turn": "/etc/systemd/system/coturn.service.d/visavis.conf",
        "redis": "/etc/visavis/redis-password",
    }
    check = " ".join(f"test -e {path} && echo {part};" for part, path in made.items())
    parts = {name: set(site[name].run(check + " true").split()) for name in site.booted.hosts}
    assert parts == {
        "web1": {"web"},
        "web2": {"web"},
        "turn1": {"turn"},
        "turn2": {"turn"},
        "redis1": {"redis"},
    }
    running = "systemctl is-active visavis-signaling visavis-signaling@8000 visavis-signaling@8001"
    assert site["web1"].run(running + " || true").split() == ["active", "inactive", "inactive"]
    assert site["web2"].run(running + " || true").split() == ["inactive", "active", "active"]


def test_one_turn_secret_on_every_turn_and_web_host_never_printed(site):
    (secret,) = {site[name].run("cat /etc/visavis/turn-secret").strip() for name in TURNS}
    assert len(secret) == 64
    for name in ("web1", "web2"):
        env = site[name].run("cat /etc/visavis/signaling.env")
        assert f"VISAVIS_TURN_SECRET={secret}\n" in env, name
        # Both TURN hosts are handed out (no nearest-first).
        urls = re.search(r"^VISAVIS_TURN_URLS=(.*)$", env, re.MULTILINE).group(1)
        for turn in ("turn1", "turn2"):
            assert f"turn:{site[turn].address}:3478?transport=udp" in urls, (name, urls)
    assert secret not in site.deploy_output


def test_verify_passes_on_every_host_of_every_group(site):
    output = site.make("verify", "HOST=visavis")
    summary = output.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
    # The checks followed the groups: Redis checked on its host, two instances on web2.
    redis1, web2 = site["redis1"].address, site["web2"].address
    assert re.search(rf"test_redis_asks_for_a_password\[ansible://{redis1}\] PASSED", output)
    assert re.search(rf"test_every_signaling_instance_runs\[ansible://{web2}\] PASSED", output)


def reaches(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=3):
            return True
    except OSError:
        return False


def test_redis_is_out_of_the_public_sides_reach_and_the_web_hosts_reach_it(site):
    redis1 = site["redis1"]
    password = redis1.run("cat /etc/visavis/redis-password").strip()
    private = PLANS[-1].private_address
    # Positive controls: the Redis host is up on the public side, and web hosts reach Redis
    # over the private link with the password.
    assert reaches(redis1.address, 22)
    for name in ("web1", "web2"):
        answer = site[name].run(f"redis-cli -h {private} --no-auth-warning -a {password} ping")
        assert answer.strip() == "PONG", name
    # From the public side (this controller, and a TURN host), Redis' port is closed.
    assert not reaches(redis1.address, REDIS_PORT)
    probe = "timeout 3 bash -c '</dev/tcp/{}/{}' && echo open || echo closed"
    assert site["turn1"].run(probe.format(redis1.address, 22)).strip() == "open"
    assert site["turn1"].run(probe.format(redis1.address, REDIS_PORT)).strip() == "closed"


# Run on web2 with its venv's Python: join `code` on the signaling instance at `port`.
JOIN = """
import asyncio, json, sys
import websockets

async def main(port, code):
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/ws", origin=f"https://{sys.argv[3]}", open_timeout=10
    ) as socket:
        await socket.send(json.dumps({"type": "join", "room": code}))
        print(json.dumps(json.loads(await asyncio.wait_for(socket.recv(), 10))))

asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
"""


def created_on(host: TestHost) -> str:
    """A new meeting's code, made through that web host's nginx."""
    import asyncio
    import ssl

    import websockets

    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE

    async def create() -> str:
        async with websockets.connect(
            f"wss://{DOMAIN}/ws",
            host=host.address,
            port=443,
            ssl=context,
            origin=f"https://{DOMAIN}",
            open_timeout=10,
        ) as sock:
            await sock.send(json.dumps({"type": "create"}))
            answer = json.loads(await asyncio.wait_for(sock.recv(), 10))
            assert answer["type"] == "joined", answer
            return answer["room"]

    return asyncio.run(create())


def joined_on_web2(site, port: int, code: str) -> dict:
    output = site["web2"].run(f"/opt/visavis/venv/bin/python - {port} {code} {DOMAIN}", input=JOIN)
    return json.loads(output.strip().splitlines()[-1])


def test_a_room_made_on_web1_is_seen_on_web2_through_redis_only(site):
    web2 = site["web2"]
    code = created_on(site["web1"])
    # A third instance on web2 with the same settings but the Redis one: it keeps rooms in its
    # own memory, as a web host without the setting would. (An EnvironmentFile= overrides
    # Environment=, so the setting is left out of a copy of the file, not emptied.)
    web2.run(
        "umask 077; grep -v -e '^VISAVIS_BROKER_URL=' -e '^VISAVIS_STATE_DIR=' -e '^VISAVIS_PORT=' "
        "/etc/visavis/signaling.env > /run/visavis-alone.env"
    )
    web2.run(
        "systemd-run --unit=visavis-alone --property=User=visavis "
        "--property=EnvironmentFile=/run/visavis-alone.env "
        "--setenv=VISAVIS_PORT=8100 /opt/visavis/venv/bin/python -m signaling"
    )
    try:
        deadline = time.monotonic() + 30
        while "LISTEN" not in web2.run("ss -Htln 'sport = :8100' | sed 's/^/LISTEN /'"):
            assert time.monotonic() < deadline, web2.run("journalctl -u visavis-alone --no-pager")
            time.sleep(0.5)
        alone = joined_on_web2(site, 8100, code)
        assert (alone["type"], alone.get("code")) == ("error", "room-not-found"), alone
    finally:
        web2.run("systemctl stop visavis-alone; rm -f /run/visavis-alone.env", check=False)
    # Positive control: web2's own instances, which share Redis, seat the same join.
    assert joined_on_web2(site, 8000, code)["type"] == "joined"


def test_two_people_on_different_web_hosts_call_through_a_turn_host(site):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.deploy.call_across_hosts",
            DOMAIN,
            site["web1"].address,
            site["web2"].address,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    turns = {site["turn1"].address, site["turn2"].address}
    for pair in json.loads(done.stdout.splitlines()[-1]):
        assert pair is not None, "no selected candidate pair"
        assert pair["policy"] == "relay"
        assert (pair["local"], pair["remote"]) == ("relay", "relay"), pair
        assert pair["localAddress"] in turns and pair["remoteAddress"] in turns, pair
        assert pair["bytesReceived"] > 0
