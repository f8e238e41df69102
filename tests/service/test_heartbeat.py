"""The client's heartbeat: `ping` is answered with `pong` in and out of a room, costs the
call nothing, and does not keep a socket that never joins alive."""

from __future__ import annotations

import time

import pytest
from websockets.exceptions import ConnectionClosed

from signaling.config import Settings
from tests.service.conftest import in_a_call

PING = {"type": "ping"}


def test_ping_is_answered_before_and_during_a_call(connect_member):
    lonely = connect_member()
    lonely.send(PING)
    assert lonely.expect("pong") == {"type": "pong"}

    alice, bob, _ = in_a_call(connect_member)
    alice.send(PING)
    alice.expect("pong")
    bob.expect_silence()  # the other member hears nothing of it
    alice.send({"type": "signal", "data": {"after": "ping"}})
    assert bob.expect("signal")["data"] == {"after": "ping"}


def test_ping_with_other_spellings_is_answered_too(connect_member):
    member = connect_member()
    member.send('{ "type" : "ping" }')
    member.expect("pong")
    member.send({"type": "ping", "extra": 1})
    member.expect_error("bad-message")


@pytest.mark.parametrize("settings", [Settings(idle_timeout=1)])
def test_pings_do_not_keep_a_socket_outside_any_room_alive(connect_member):
    idle = connect_member()
    started = time.monotonic()
    with pytest.raises(ConnectionClosed):
        while time.monotonic() - started < 5:
            idle.send(PING)
            frame = idle.recv(timeout=1)
            if frame["type"] == "error":
                assert frame["code"] == "idle"
                break
            assert frame == {"type": "pong"}
            time.sleep(0.2)
        idle.recv(timeout=3)  # and then the socket is closed
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("settings", [Settings(idle_timeout=1)])
def test_other_frames_still_count_as_activity_outside_a_room(connect_member):
    # Positive control for the test above: a real request before the deadline resets it.
    member = connect_member()
    time.sleep(0.7)
    member.send({"type": "leave"})
    member.expect_error("not-in-room")
    time.sleep(0.7)
    member.send(PING)
    member.expect("pong")
