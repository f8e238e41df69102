"""Two instances on one Redis behave as one server: calls, resume and replacement across
them, a race for the last seats, and an instance that dies mid-call."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from signaling.redis_link import HEARTBEAT_TTL_MS
from tests.scale.conftest import FAST, instances

RACERS = 200
HEARTBEAT_TTL = HEARTBEAT_TTL_MS / 1000
GRACE = float(FAST["VISAVIS_SEAT_GRACE"])


def test_a_call_between_two_instances(tmp_path, redis_url, connect_to):
    with instances(tmp_path, redis_url) as (one, two):
        alice, bob = connect_to(one), connect_to(two)
        room = alice.create()["room"]

        joined = bob.join(room)

        assert joined == {**joined, "type": "joined", "polite": True, "peer_present": True}
        alice.expect("peer-joined", resumed=False)
        offer = '{"description": {"type":"offer","sdp":"v=0\\r\\n"},  "x":"é"}'
        alice.send('{"type":"signal","data":' + offer + "}")
        assert bob.recv_text() == '{"type":"signal","data":' + offer + "}"  # byte for byte
        bob.send({"type": "signal", "data": {"candidate": None}})
        assert alice.expect("signal")["data"] == {"candidate": None}
        bob.send({"type": "leave"})
        alice.expect("peer-left")
        assert connect_to(one).join(room)["polite"] is True  # the freed seat, via instance 1
        alice.expect("peer-joined")


def test_a_frame_sent_the_moment_the_peer_has_joined_reaches_it(tmp_path, redis_url, connect_to):
    """In-process, a seat taken is at once a peer to relay to; across instances too, even
    before the instance of the sender was told (the frame does not wait for peer-joined)."""
    with instances(tmp_path, redis_url) as (one, two):
        for attempt in range(10):
            alice, bob = connect_to(one), connect_to(two)
            bob.join(alice.create()["room"])
            alice.send({"type": "signal", "data": {"attempt": attempt}})
            assert bob.expect("signal")["data"] == {"attempt": attempt}
            alice.expect("peer-joined")


def test_resume_on_another_instance_replaces_the_socket_still_open_on_the_first(
    tmp_path, redis_url, connect_to
):
    with instances(tmp_path, redis_url) as (one, two):
        alice, bob = connect_to(one), connect_to(two)
        seat = alice.create()
        bob.join(seat["room"])
        alice.expect("peer-joined")

        new_tab = connect_to(two).join(seat["room"], resume=seat["resume"])

        assert new_tab["resumed"] is True and new_tab["polite"] is False
        alice.expect_error("replaced")
        with pytest.raises(ConnectionClosed) as closed:
            alice.recv(timeout=5)
        assert closed.value.rcvd.code == 1008  # instance 1 closed its socket
        bob.expect("peer-joined", resumed=True)


async def _race(urls: list[str], room: str) -> list[dict]:
    """RACERS sockets spread over the instances, all open, then all join at once."""
    sockets = await asyncio.gather(
        *(connect(urls[index % len(urls)], open_timeout=20) for index in range(RACERS))
    )
    try:
        frame = json.dumps({"type": "join", "room": room})
        await asyncio.gather(*(socket.send(frame) for socket in sockets))
        answers = await asyncio.gather(*(socket.recv() for socket in sockets))
        return [json.loads(answer) for answer in answers]
    finally:
        await asyncio.gather(*(socket.close() for socket in sockets))


@pytest.mark.parametrize("free_seats", [1, 2])
def test_racing_joins_over_two_instances_fill_each_free_seat_once(
    tmp_path, redis_url, connect_to, free_seats
):
    with instances(tmp_path, redis_url) as (one, two):
        host = connect_to(one)
        room = host.create()["room"]
        if free_seats == 2:
            host.send({"type": "leave"})  # an empty room: both seats are free

        started = time.monotonic()
        answers = asyncio.run(_race([one.ws_url, two.ws_url], room))
        print(f"\n{RACERS} joins over two instances: {time.monotonic() - started:.2f} s")

    winners = [answer for answer in answers if answer["type"] == "joined"]
    refused = [answer["code"] for answer in answers if answer["type"] == "error"]
    assert len(winners) == free_seats, Counter(refused)
    assert refused == ["room-full"] * (RACERS - free_seats)
    assert sorted(winner["polite"] for winner in winners) == [False, True][-free_seats:]
    assert len({winner["resume"] for winner in winners}) == free_seats


def test_a_member_of_a_killed_instance_resumes_through_the_other(tmp_path, redis_url, connect_to):
    with instances(tmp_path, redis_url) as (one, two):
        alice, bob = connect_to(one), connect_to(two)
        seat = alice.create()
        bob.join(seat["room"])
        alice.expect("peer-joined")

        one.process.kill()  # SIGKILL: instance 1 says goodbye to nobody, not even Redis
        one.process.wait()
        alice = connect_to(two)
        back = alice.join(seat["room"], resume=seat["resume"])

        assert back["resumed"] is True and back["polite"] is False
        assert back["peer_present"] is True
        bob.expect("peer-joined", resumed=True)
        bob.send({"type": "signal", "data": {"after": "the crash"}})
        assert alice.expect("signal")["data"] == {"after": "the crash"}
        bob.expect_silence(HEARTBEAT_TTL + 1)  # the reaper finds alice's seat taken back


def test_the_seats_of_a_killed_instance_are_released_after_its_heartbeat_and_grace(
    tmp_path, redis_url, connect_to
):
    with instances(tmp_path, redis_url) as (one, two):
        alice, bob = connect_to(one), connect_to(two)
        room = alice.create()["room"]
        bob.join(room)
        alice.expect("peer-joined")

        killed_at = time.monotonic()
        one.process.kill()
        one.process.wait()

        assert bob.recv(timeout=HEARTBEAT_TTL + GRACE + 3)["type"] == "peer-left"
        took = time.monotonic() - killed_at
        print(f"\npeer-left {took:.1f} s after the kill (heartbeat TTL + grace)")
        assert took >= GRACE
        assert connect_to(two).join(room)["type"] == "joined"  # the seat is free again
