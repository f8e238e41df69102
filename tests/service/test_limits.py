"""Every abuse limit: hit it and get its error; behave and never see it."""

from __future__ import annotations

import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from signaling.config import Settings
from tests.service.conftest import Member, in_a_call
from tests.service.raw_socket import RawWebSocket

UNKNOWN_ROOM = "zzzz-zzzz-zzzz"


@pytest.mark.parametrize("settings", [Settings(failed_joins_per_minute=3)])
def test_guessing_codes_is_cut_off_after_the_failed_join_limit(connect_member):
    guesser, host = connect_member(), connect_member()
    room = host.create()["room"]
    for _ in range(3):
        assert guesser.join(UNKNOWN_ROOM)["code"] == "room-not-found"

    refused = guesser.join(room)  # even a right guess now

    assert refused["code"] == "rate-limited"
    assert 0 < refused["retry_after"] <= 20.1  # one attempt back every 60/3 s
    host.expect_silence()


@pytest.mark.parametrize("settings", [Settings(failed_joins_per_minute=3)])
def test_a_mistyped_code_then_the_right_one_is_fine(connect_member):
    host, guest = connect_member(), connect_member()
    room = host.create()["room"]

    assert guest.join(UNKNOWN_ROOM)["code"] == "room-not-found"
    assert guest.join("not a code")["code"] == "bad-room-code"
    assert guest.join(room)["type"] == "joined"


@pytest.mark.parametrize("settings", [Settings(rooms_per_minute=2)])
def test_room_creation_is_limited_per_address(connect_member):
    member = connect_member()
    for _ in range(2):
        member.create()
        member.send({"type": "leave"})

    member.send({"type": "create"})
    assert member.expect_error("rate-limited")["retry_after"] > 0


@pytest.mark.parametrize("settings", [Settings(connections_per_ip=2)])
def test_connections_per_address_are_limited(server, connect_member):
    first, _second = connect_member(), connect_member()

    with connect(f"{server}/ws") as third:
        refused = Member(third).expect_error("too-many-connections")
        with pytest.raises(ConnectionClosed) as closed:
            third.recv(timeout=5)
    assert closed.value.rcvd.code == 1013
    assert "connections" in refused["message"]
    first.close()
    time.sleep(0.2)
    assert connect_member().create()["type"] == "joined"


@pytest.mark.parametrize("settings", [Settings(message_rate=5, message_burst=10)])
def test_a_flood_of_frames_is_refused_beyond_the_burst(connect_member):
    alice, bob, room = in_a_call(connect_member)

    for number in range(20):
        alice.send({"type": "signal", "data": {"n": number}})
    answers = [alice.recv() for _ in range(8)]
    relayed = []
    while True:
        try:
            relayed.append(bob.recv(timeout=0.5)["data"]["n"])
        except TimeoutError:
            break

    assert all(answer["code"] == "rate-limited" for answer in answers)
    assert 8 <= len(relayed) <= 12, relayed  # the burst, plus what refilled meanwhile
    assert relayed == sorted(relayed)


@pytest.mark.parametrize("settings", [Settings(byte_rate=1024, byte_burst=64 * 1024)])
def test_the_byte_budget_refuses_large_frames_beyond_it(connect_member):
    alice, bob, room = in_a_call(connect_member)
    blob = "x" * 40_000

    alice.send({"type": "signal", "data": blob})
    alice.send({"type": "signal", "data": blob})

    assert bob.recv()["data"] == blob
    assert alice.expect_error("rate-limited")["retry_after"] > 10


def test_a_real_negotiation_is_never_limited(connect_member):
    alice, bob, room = in_a_call(connect_member)
    offer = {"description": {"type": "offer", "sdp": "v=0\r\n" + "a=x\r\n" * 1500}}

    alice.send({"type": "signal", "data": offer})
    for number in range(60):  # candidates of several interfaces and servers
        alice.send({"type": "signal", "data": {"candidate": f"candidate:{number} 1 udp"}})

    assert bob.recv()["data"] == offer
    for number in range(60):
        assert bob.recv()["data"]["candidate"] == f"candidate:{number} 1 udp"
    alice.expect_silence()


@pytest.mark.parametrize("settings", [Settings(public_url="https://meet.example.org")])
def test_browsers_must_come_from_the_public_url(server):
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{server}/ws", origin="https://evil.example.net", open_timeout=5)
    assert refused.value.response.status_code == 403

    for origin in ("https://meet.example.org", None):  # our page, or not a browser
        with connect(f"{server}/ws", origin=origin, open_timeout=5) as socket:
            assert Member(socket).create()["type"] == "joined"


def test_without_a_public_url_browsers_must_come_from_the_same_host(server):
    host = server.removeprefix("ws://")
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{server}/ws", origin="https://evil.example.net", open_timeout=5)
    assert refused.value.response.status_code == 403

    with connect(f"{server}/ws", origin=f"https://{host}", open_timeout=5) as socket:
        assert Member(socket).create()["type"] == "joined"


def _from(server: str, forwarded_for: str):
    return connect(
        f"{server}/ws", additional_headers={"X-Forwarded-For": forwarded_for}, open_timeout=5
    )


@pytest.mark.parametrize(
    "settings", [Settings(connections_per_ip=1, trusted_proxies=("127.0.0.0/8",))]
)
def test_a_trusted_proxy_names_the_client_address(server):
    with _from(server, "198.51.100.1") as first, _from(server, "198.51.100.2") as second:
        assert Member(first).create()["type"] == "joined"
        assert Member(second).create()["type"] == "joined"
        with _from(server, "198.51.100.1") as third:
            Member(third).expect_error("too-many-connections")


@pytest.mark.parametrize("settings", [Settings(connections_per_ip=1)])
def test_forwarded_for_is_ignored_from_anyone_else(server):
    with _from(server, "198.51.100.1") as first, _from(server, "198.51.100.2") as second:
        assert Member(first).create()["type"] == "joined"
        Member(second).expect_error("too-many-connections")


@pytest.mark.parametrize("settings", [Settings(idle_timeout=1)])
def test_a_socket_that_never_joins_is_closed(connect_member):
    idle, seated = connect_member(), connect_member()
    seated.create()

    idle.expect_error("idle")
    with pytest.raises(ConnectionClosed) as closed:
        idle.recv(timeout=3)
    assert closed.value.rcvd.code == 1008
    time.sleep(0.5)  # the seated one is past the idle timeout too, and stays
    seated.send({"type": "signal", "data": {}})
    seated.expect_silence()


@pytest.mark.parametrize("settings", [Settings(ping_interval=1)])
def test_a_socket_that_does_not_answer_pings_is_closed(server, connect_member):
    answering = connect_member()  # the websockets client answers pings by itself
    answering.create()
    mute = RawWebSocket(f"{server}/ws")  # reads nothing, so never answers
    mute.send_json({"type": "create"})

    received = mute.read_until_closed(timeout=6)

    assert b'"joined"' in received
    answering.send({"type": "signal", "data": {}})
    answering.expect_silence()  # still open
