"""A restarted signaling process gives seats back to the holders of signed resume tokens.

In-process, the rooms die with the process and genuine tokens rebuild them; with the Redis
hub, the rooms live in Redis and simply outlive the instance (no restoring phase)."""

from __future__ import annotations

import json
import time
from contextlib import ExitStack

from signaling.config import Settings
from tests.service.conftest import empty_redis, member_at, running_server

SECRET = "a-secret-shared-by-both-runs-of-the-server"


def _call_before_restart(settings: Settings, broker: str | None = None) -> tuple[str, str, str]:
    """Alice and Bob in a room on a server that then stops: (room, alice's, bob's token)."""
    with running_server(settings, broker) as url, ExitStack() as stack:
        alice, bob = member_at(stack, f"{url}/ws"), member_at(stack, f"{url}/ws")
        created = alice.create()
        joined = bob.join(created["room"])
        return created["room"], created["resume"], joined["resume"]


def test_both_people_get_their_seats_back_and_a_stranger_waits():
    settings = Settings(resume_secret=SECRET, seat_grace=5)
    room, alice_token, bob_token = _call_before_restart(settings)

    with running_server(settings) as url, ExitStack() as stack:
        alice, stranger, bob = (member_at(stack, f"{url}/ws") for _ in range(3))
        back = alice.join(room, alice_token)
        assert back == {**back, "type": "joined", "resumed": True, "polite": False}
        assert back["peer_present"] is False
        assert stranger.join(room)["code"] == "room-restoring"
        assert stranger.join(room, alice_token.replace("0.", "1.", 1))["code"] == "room-restoring"
        assert bob.join(room, bob_token) == {
            **back,
            "polite": True,
            "peer_present": True,
            "resume": bob_token,
        }
        alice.expect("peer-joined", resumed=True)
        bob.send({"type": "signal", "data": {"hello": 1}})
        assert alice.expect("signal")["data"] == {"hello": 1}
        assert stranger.join(room)["code"] == "room-full"


def test_a_server_with_another_secret_does_not_know_the_room():
    room, alice_token, _ = _call_before_restart(Settings(resume_secret=SECRET))
    # The positive control: a room whose token was signed with the new server's secret.
    control_room, control_token, _ = _call_before_restart(Settings(resume_secret="another"))

    with running_server(Settings(resume_secret="another")) as url, ExitStack() as stack:
        assert member_at(stack, f"{url}/ws").join(room, alice_token)["code"] == "room-not-found"
        assert member_at(stack, f"{url}/ws").join(control_room, control_token)["resumed"] is True


def test_tokens_rebuild_rooms_only_right_after_a_start():
    settings = Settings(resume_secret=SECRET, seat_grace=2)
    room, alice_token, _ = _call_before_restart(settings)
    control_room, control_token, _ = _call_before_restart(settings)

    with running_server(settings) as url, ExitStack() as stack:
        # The positive control: right after the start, a token does rebuild its room.
        assert member_at(stack, f"{url}/ws").join(control_room, control_token)["resumed"] is True
        time.sleep(2.2)  # longer than the grace period since the start
        assert member_at(stack, f"{url}/ws").join(room, alice_token)["code"] == "room-not-found"


def test_a_token_is_bound_to_its_room():
    settings = Settings(resume_secret=SECRET, seat_grace=5)
    room, alice_token, _ = _call_before_restart(settings)
    other_room, _, _ = _call_before_restart(settings)

    with running_server(settings) as url, ExitStack() as stack:
        answer = member_at(stack, f"{url}/ws").join(other_room, alice_token)
        assert answer["code"] == "room-not-found", json.dumps(answer)
        # The positive control: the same token, for its own room, on the same server.
        assert member_at(stack, f"{url}/ws").join(room, alice_token)["resumed"] is True


def test_with_redis_rooms_outlive_the_instance_and_need_no_shared_secret(redis_url):
    empty_redis(redis_url)
    room, alice_token, bob_token = _call_before_restart(Settings(seat_grace=5), redis_url)

    # Another random resume secret: tokens are checked against Redis, not by signature.
    with running_server(Settings(seat_grace=5), redis_url) as url, ExitStack() as stack:
        alice, stranger, bob = (member_at(stack, f"{url}/ws") for _ in range(3))
        back = alice.join(room, alice_token)
        assert back == {**back, "type": "joined", "resumed": True, "polite": False}
        assert back["peer_present"] is True  # bob's seat waits for him, in its grace period
        assert stranger.join(room)["code"] == "room-full"  # not room-restoring
        assert bob.join(room, bob_token)["resumed"] is True
        alice.expect("peer-joined", resumed=True)
        bob.send({"type": "signal", "data": {"hello": 1}})
        assert alice.expect("signal")["data"] == {"hello": 1}


def test_with_redis_a_stopped_instance_seats_are_released_after_the_grace_period(redis_url):
    empty_redis(redis_url)
    settings = Settings(seat_grace=0.5)
    with running_server(settings, redis_url) as url, ExitStack() as stack:
        alice = member_at(stack, f"{url}/ws")
        room = alice.create()["room"]
        with running_server(settings, redis_url) as other_url, ExitStack() as other_stack:
            bob = member_at(other_stack, f"{other_url}/ws")
            bob_token = bob.join(room)["resume"]
            alice.expect("peer-joined")
        # bob's instance stopped: his seat is in grace, then alice is told he left

        assert alice.recv(timeout=5)["type"] == "peer-left"
        answer = member_at(stack, f"{url}/ws").join(room, bob_token)
        assert answer["type"] == "joined" and answer["resumed"] is False


def test_the_one_who_came_back_hears_when_the_other_does_not():
    settings = Settings(resume_secret=SECRET, seat_grace=0.5)
    room, alice_token, _ = _call_before_restart(settings)

    with running_server(settings) as url, ExitStack() as stack:
        alice, stranger = member_at(stack, f"{url}/ws"), member_at(stack, f"{url}/ws")
        assert alice.join(room, alice_token)["resumed"] is True

        alice.expect("peer-left")  # once the grace period is over
        assert stranger.join(room)["type"] == "joined"
        alice.expect("peer-joined", resumed=False)
