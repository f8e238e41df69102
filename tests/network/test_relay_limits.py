"""The relay's limits fit one 1-on-1 call and nothing more: allocations per credential and in
total are refused past the quota (486), and a relay sending faster than the per-allocation
bandwidth cap has the excess dropped. Each with its positive control, on the deploy's own
figures (the total quota on a small one: the lab's relay ports are fewer than the deploy's
quota). coturn runs alone in a namespace with no route out."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from signaling.turn import turn_credentials
from tests.network import services
from tests.network.lab import SERVER, closed_server, inside
from tests.network.services import TURN_PORT
from tests.network.turns_client import stun
from tests.templates import REPO

pytestmark = pytest.mark.network

QUOTA_REACHED = 486  # RFC 5766 "Allocation Quota Reached"
DEFAULTS = (REPO / "infra/ansible/roles/coturn/defaults/main.yml").read_text()
USER_QUOTA = int(DEFAULTS.split("\ncoturn_user_quota: ")[1].split()[0])
MAX_BPS = int(DEFAULTS.split("\ncoturn_max_bps: ")[1].split()[0])
SMALL_TOTAL_QUOTA = 5
PACKET = 1000  # bytes of payload per Send indication, about a video RTP packet
BLAST_SECONDS = 4.0  # coturn lets a short first burst through its buffers


def credentials(secret: str, user: str) -> tuple[str, str]:
    return turn_credentials(secret, int(time.time()) + 600, user)


def allocate_many(secret: str, users: list[str]) -> list[int | None]:
    """Hold one allocation per entry of `users` (a credential each, repeated names share
    one) at once; the error code of each (None: granted)."""
    codes: list[int | None] = []
    with ExitStack() as held:
        for user in users:
            username, password = credentials(secret, user)
            allocation = held.enter_context(stun.allocation(SERVER, TURN_PORT, username, password))
            codes.append(None if allocation.granted else allocation.reply.error_code)
    return codes


def relay_at(secret: str, bytes_per_second: float) -> float:
    """Send through one allocation to a peer at `bytes_per_second` of payload for
    BLAST_SECONDS; the payload bytes per second that reached the peer."""
    username, password = credentials(secret, "blaster")
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer,
        stun.allocation(SERVER, TURN_PORT, username, password) as relay,
    ):
        assert relay.granted, relay.reply.error_code
        peer.bind((SERVER, 0))
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        peer.setblocking(False)
        port = peer.getsockname()[1]
        assert relay.create_permission(SERVER).kind == stun.CREATE_PERMISSION_SUCCESS
        payload = bytes(PACKET)
        received, started = 0, time.monotonic()
        sent = 0
        while (elapsed := time.monotonic() - started) < BLAST_SECONDS:
            while sent < elapsed * bytes_per_second:
                relay.send(SERVER, port, payload)
                sent += PACKET
            received += _drain(peer)
            time.sleep(0.002)
        time.sleep(0.3)  # what is still on its way
        received += _drain(peer)
        return received / BLAST_SECONDS


def _drain(sock: socket.socket) -> int:
    total = 0
    while True:
        try:
            total += len(sock.recv(4096))
        except BlockingIOError:
            return total


@pytest.fixture(scope="module")
def small_total_quota(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """The lab's coturn with a total quota of SMALL_TOTAL_QUOTA: (namespace, TURN secret)."""
    folder = tmp_path_factory.mktemp("total-quota")
    files = services.make_server_files(folder, coturn_total_quota=SMALL_TOTAL_QUOTA)
    with closed_server() as namespace, services.coturn(namespace, files, folder):
        yield namespace, files.turn_secret


def test_the_deploy_caps_allocations_and_bandwidth(server_files):
    config = server_files.coturn_config.read_text()

    assert f"user-quota={USER_QUOTA}\n" in config and 0 < USER_QUOTA <= 16
    assert f"max-bps={MAX_BPS}\n" in config and MAX_BPS > 0


def test_one_credential_gets_its_quota_of_allocations_and_no_more(closed_coturn, server_files):
    # The positive control is inside: USER_QUOTA granted, then another credential still is.
    users = ["one-person"] * (USER_QUOTA + 1) + ["someone-else"]

    codes = inside(closed_coturn, allocate_many, server_files.turn_secret, users)

    assert codes[:USER_QUOTA] == [None] * USER_QUOTA
    assert codes[USER_QUOTA] == QUOTA_REACHED
    assert codes[-1] is None


def test_allocations_past_the_total_quota_are_refused(small_total_quota):
    namespace, secret = small_total_quota
    users = [f"person-{number}" for number in range(SMALL_TOTAL_QUOTA + 1)]

    codes = inside(namespace, allocate_many, secret, users)

    assert codes == [None] * SMALL_TOTAL_QUOTA + [QUOTA_REACHED]


def test_a_relay_gets_its_bandwidth_and_not_more(closed_coturn, server_files, measure):
    secret = server_files.turn_secret

    within = inside(closed_coturn, relay_at, secret, MAX_BPS * 0.5)
    beyond = inside(closed_coturn, relay_at, secret, MAX_BPS * 4)

    measure(
        f"max-bps {MAX_BPS} B/s: sending {MAX_BPS * 0.5:.0f} B/s, {within:.0f} B/s arrived; "
        f"sending {MAX_BPS * 4:.0f} B/s, {beyond:.0f} B/s arrived"
    )
    assert within > MAX_BPS * 0.5 * 0.9  # the control: under the cap, (nearly) all arrives
    # Over it, the excess is dropped (coturn counts from its first buffers a little over).
    assert beyond < MAX_BPS * 1.5
