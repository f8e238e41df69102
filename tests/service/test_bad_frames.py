"""Bad input gets a specific error and leaves the connection usable."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed

BAD_FRAMES = [
    ("{not json", "bad-json"),
    ("", "bad-json"),
    ('{"type": "dance"}', "unknown-type"),
    ('{"type": 7}', "bad-message"),
    ("[1, 2]", "bad-message"),
    ('"create"', "bad-message"),
    ('{"room": "abcd-efgh-jkmn"}', "bad-message"),
    ('{"type": "join", "room": 5}', "bad-message"),
    ('{"type": "join"}', "bad-message"),
    ('{"type": "join", "room": "abcd-efgh-jkmn", "resume": 1}', "bad-message"),
    ('{"type": "create", "extra": true}', "bad-message"),
    ('{"type": "signal"}', "bad-message"),
    (b"\x00\x01binary", "binary-frame"),
    ('{"type": "signal", "data": {}}', "not-in-room"),
    ('{"type": "leave"}', "not-in-room"),
]


@pytest.mark.parametrize(("frame", "code"), BAD_FRAMES)
def test_bad_frame_gets_its_error_code_and_the_connection_stays_usable(connect_member, frame, code):
    member = connect_member()

    member.send(frame)

    error = member.expect_error(code)
    assert error["message"]
    assert member.create()["type"] == "joined"


def test_a_frame_over_the_limit_is_refused_and_the_connection_stays_usable(connect_member):
    member = connect_member()
    padding = "x" * (64 * 1024)

    member.send('{"type": "signal", "data": "' + padding + '"}')

    assert "limit 65536" in member.expect_error("too-large")["message"]
    assert member.create()["type"] == "joined"


def test_a_frame_far_over_the_limit_closes_the_socket_as_too_big(connect_member):
    member = connect_member()

    # The server may close while the frame is still being written: then sending fails.
    with pytest.raises(ConnectionClosed) as closed:
        member.send("x" * (64 * 1024 * 16 + 1))
        member.recv()
    assert closed.value.rcvd.code == 1009  # message too big


def test_create_or_join_while_seated_is_refused_and_keeps_the_seat(connect_member):
    alice, bob = connect_member(), connect_member()
    room = alice.create()["room"]

    alice.send({"type": "create"})
    alice.expect_error("already-in-room")
    alice.send({"type": "join", "room": room})
    alice.expect_error("already-in-room")

    assert bob.join(room)["peer_present"] is True


def test_a_bad_frame_in_one_call_does_not_disturb_another(connect_member):
    alice, bob, mallory = connect_member(), connect_member(), connect_member()
    room = alice.create()["room"]
    bob.join(room)
    alice.expect("peer-joined")
    mallory.create()

    mallory.send("{garbage")
    mallory.send(b"\xff" * 100)
    alice.send({"type": "signal", "data": "hello"})

    assert bob.expect("signal")["data"] == "hello"
    mallory.expect_error("bad-json")
    mallory.expect_error("binary-frame")
