"""The lab's coturn, on the deploy's template, refuses what an abuser would ask of it.

coturn runs alone in a namespace with no link and no route out: even if a refusal failed,
nothing could leave. The probes run in a thread that joined that namespace."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Iterator

import pytest

from signaling.turn import turn_credentials
from tests.network import services
from tests.network.lab import SERVER, closed_server, inside
from tests.network.services import TURN_PORT
from tests.templates import REPO

sys.path.insert(0, str(REPO / "infra/verify"))
import stun  # noqa: E402

pytestmark = pytest.mark.network

FORBIDDEN = 403
# coturn 4.6.1 checks the peer's family against the allocation's before its deny list: an
# IPv6 peer on an IPv4 relay (the lab's, like most deploys) is refused with 443 "Peer
# Address Family Mismatch", and the deny list is never asked.
FAMILY_MISMATCH = 443
FORBIDDEN_PEERS = {
    "127.0.0.1": FORBIDDEN,
    "10.0.0.1": FORBIDDEN,
    "169.254.169.254": FORBIDDEN,
    "198.51.100.1": FORBIDDEN,  # the homes' inside: only the lab's internet is allowed
    "::1": FAMILY_MISMATCH,
    "::ffff:10.0.0.1": FAMILY_MISMATCH,
}
# So the IPv6 entries of the deny list get their own test, on an IPv6 relay.
FORBIDDEN_IPV6_PEERS = ["::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1", "fe80::1", "fd00::1"]


def credentials(secret: str, valid_for: int) -> tuple[str, str]:
    return turn_credentials(secret, int(time.time()) + valid_for, "lab-probe")


def unauthenticated_allocate() -> stun.Reply:
    transport = stun.attribute(stun.REQUESTED_TRANSPORT, bytes([stun.UDP, 0, 0, 0]))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.connect((SERVER, TURN_PORT))
        return stun.exchange(sock, stun.message(stun.ALLOCATE_REQUEST, transport))


def permissions(
    username: str, password: str, peers: list[str], family: int = socket.AF_INET
) -> tuple[stun.Reply, dict[str, stun.Reply]]:
    """Allocate a relay of `family` and ask for a permission to each peer."""
    with stun.allocation(SERVER, TURN_PORT, username, password, family) as allocation:
        assert allocation.granted, f"allocation refused: {allocation.reply.error_code}"
        return allocation.reply, {peer: allocation.create_permission(peer) for peer in peers}


def relay_to_loopback(username: str, password: str) -> bytes | None:
    """Send through the relay to a listener on 127.0.0.1; what arrives there, if anything."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(1)
        port = listener.getsockname()[1]
        with stun.allocation(SERVER, TURN_PORT, username, password) as allocation:
            assert allocation.granted
            allocation.create_permission("127.0.0.1", port)
            allocation.send("127.0.0.1", port, b"should never arrive")
            try:
                return listener.recv(2048)
            except TimeoutError:
                return None


def test_only_the_lab_makes_an_exception_to_the_deny_list(server_files):
    config = server_files.coturn_config.read_text()

    # The deploy's deny list is all there, the lab's internet included...
    assert "denied-peer-ip=203.0.113.0-203.0.113.255" in config
    assert "denied-peer-ip=10.0.0.0-10.255.255.255" in config
    # ...and the lab's variables add the one exception.
    assert config.count("allowed-peer-ip=") == 1
    assert "allowed-peer-ip=203.0.113.0-203.0.113.255" in config
    assert "allow-loopback-peers" not in config


def test_an_allocation_without_credentials_is_refused(closed_coturn):
    reply = inside(closed_coturn, unauthenticated_allocate)

    assert (reply.kind, reply.error_code) == (stun.ALLOCATE_ERROR, 401)
    assert reply.relayed_address is None


def test_expired_credentials_are_refused(closed_coturn, server_files):
    username, password = credentials(server_files.turn_secret, valid_for=-60)

    reply = inside(closed_coturn, stun.allocate, SERVER, TURN_PORT, username, password)

    assert (reply.kind, reply.error_code) == (stun.ALLOCATE_ERROR, 401)
    assert reply.relayed_address is None


def test_relaying_to_private_and_loopback_peers_is_refused(closed_coturn, server_files):
    username, password = credentials(server_files.turn_secret, valid_for=600)
    # 203.0.113.2 is allowed (the lab's internet): proves the requests themselves are right.
    peers = ["203.0.113.2", *FORBIDDEN_PEERS]

    _, replies = inside(closed_coturn, permissions, username, password, peers)

    assert replies["203.0.113.2"].kind == stun.CREATE_PERMISSION_SUCCESS
    answered = {peer: replies[peer].error_code for peer in FORBIDDEN_PEERS}
    assert answered == FORBIDDEN_PEERS
    assert all(replies[peer].kind == stun.CREATE_PERMISSION_ERROR for peer in FORBIDDEN_PEERS)


def test_nothing_reaches_loopback_through_the_relay(closed_coturn, server_files):
    username, password = credentials(server_files.turn_secret, valid_for=600)

    arrived = inside(closed_coturn, relay_to_loopback, username, password)

    assert arrived is None


@pytest.fixture(scope="module")
def closed_coturn_with_ipv6_relay(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """The lab's coturn with a second relay address, the closed namespace's own ::1 (the
    only IPv6 address there is): (namespace, TURN secret)."""
    folder = tmp_path_factory.mktemp("ipv6-relay")
    files = services.make_server_files(folder, coturn_relay_ips=[SERVER, "::1"])
    with closed_server() as namespace, services.coturn(namespace, files, folder):
        yield namespace, files.turn_secret


def test_relaying_to_ipv6_private_and_loopback_peers_is_refused(closed_coturn_with_ipv6_relay):
    namespace, secret = closed_coturn_with_ipv6_relay
    username, password = credentials(secret, valid_for=600)

    granted, replies = inside(
        namespace, permissions, username, password, FORBIDDEN_IPV6_PEERS, socket.AF_INET6
    )

    assert granted.relayed_endpoint[0] == "::1"  # also proves the IPv6 XOR encoding
    answered = {peer: replies[peer].error_code for peer in FORBIDDEN_IPV6_PEERS}
    assert answered == dict.fromkeys(FORBIDDEN_IPV6_PEERS, FORBIDDEN)
