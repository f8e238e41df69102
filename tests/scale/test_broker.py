"""Redis is a dependency of the instances: unreachable at start-up it stops them with a
sentence; lost mid-run, every socket is told and closed (clients reconnect and resume), and
the instances come back with Redis. Nothing waits forever."""

from __future__ import annotations

import time
from contextlib import ExitStack
from urllib.parse import urlsplit

import pytest
from websockets.exceptions import ConnectionClosed

from tests.loopback import free_port, redis_server, signaling_server, stop_process
from tests.scale.conftest import instances


def test_an_unreachable_redis_stops_the_start_with_a_clear_error(tmp_path):
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    started = time.monotonic()

    with pytest.raises(RuntimeError) as failed, signaling_server(tmp_path, broker=nowhere):
        pass

    assert "VISAVIS_BROKER_URL: cannot reach Redis at redis://127.0.0.1:" in str(failed.value)
    assert time.monotonic() - started < 15


def test_a_password_in_the_broker_url_stays_out_of_the_error(tmp_path):
    nowhere = f"redis://user:hunter2@127.0.0.1:{free_port()}/0"
    with pytest.raises(RuntimeError) as failed, signaling_server(tmp_path, broker=nowhere):
        pass
    assert "hunter2" not in str(failed.value) and "user:***@127.0.0.1" in str(failed.value)


def test_losing_redis_turns_sockets_away_and_the_instances_come_back_with_it(tmp_path, connect_to):
    with ExitStack() as stack:
        redis = stack.enter_context(redis_server(tmp_path))
        one, two = stack.enter_context(instances(tmp_path, redis.url))
        alice, bob = connect_to(one), connect_to(two)
        bob.join(alice.create()["room"])
        alice.expect("peer-joined")

        stop_process(redis.process)

        for member in (alice, bob):
            assert member.expect_error("unavailable")["message"]
            with pytest.raises(ConnectionClosed) as closed:
                member.recv(timeout=5)
            assert closed.value.rcvd.code == 1012  # reconnect with backoff, then resume
        refused = connect_to(one)
        refused.send({"type": "create"})
        refused.expect_error("unavailable")  # at once, not after a hang

        # Redis is back on its port, empty (no persistence here): the instances are back.
        port = int(urlsplit(redis.url).port)
        with redis_server(tmp_path, port=port):
            deadline = time.monotonic() + 10
            while (answer := connect_to(two).join("abcd-efgh-jkmn"))["code"] == "unavailable":
                assert time.monotonic() < deadline, answer
                time.sleep(0.2)
            assert answer["code"] == "room-not-found"
            carol = connect_to(one)
            room = carol.create()["room"]
            assert connect_to(two).join(room)["type"] == "joined"
            carol.expect("peer-joined")
