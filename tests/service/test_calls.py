"""Two people meeting through the signaling service: rooms, seats, relay, resume."""

from __future__ import annotations

import re
import time

import pytest

from signaling.config import Settings
from tests.service.conftest import in_a_call

CODE = re.compile(r"[a-hjkmnp-z]{4}-[a-hjkmnp-z]{4}-[a-hjkmnp-z]{4}")


def test_create_gives_a_readable_code_and_the_impolite_seat(connect_member):
    alice = connect_member()

    joined = alice.create()

    assert CODE.fullmatch(joined["room"])
    assert joined["polite"] is False
    assert joined["peer_present"] is False
    assert joined["resumed"] is False
    assert len(joined["resume"]) >= 16
    assert joined["ice_servers"] == []  # nothing configured: no third-party STUN by default


def test_second_person_joins_polite_and_the_first_is_told(connect_member):
    alice, bob = connect_member(), connect_member()
    room = alice.create()["room"]

    joined = bob.join(room)

    assert joined == {
        **joined,
        "type": "joined",
        "room": room,
        "polite": True,
        "peer_present": True,
        "resumed": False,
    }
    alice.expect("peer-joined", resumed=False)


def test_join_accepts_the_code_in_any_case_without_dashes_or_in_a_link(connect_member):
    alice = connect_member()
    room = alice.create()["room"]
    spellings = [room.upper().replace("-", ""), f"https://meet.example.org/{room}?x=1"]

    for spelling in spellings:
        bob = connect_member()
        joined = bob.join(spelling)
        assert joined["type"] == "joined" and joined["room"] == room, spelling
        bob.send({"type": "leave"})
        alice.expect("peer-joined")
        alice.expect("peer-left")


def test_signal_is_relayed_verbatim_both_ways(connect_member):
    alice, bob, room = in_a_call(connect_member)
    # Odd spacing, escapes and non-ASCII must arrive byte for byte: the server does not re-encode.
    offer = '{"description": {"type":"offer","sdp":"v=0\\r\\no=- 1 IN IP4 0.0.0.0"},  "x":"é"}'

    alice.send('{"type":"signal","data":' + offer + "}")
    bob_frame = bob.recv_text()
    bob.send({"type": "signal", "data": {"candidate": None}})
    alice_frame = alice.recv_text()

    assert bob_frame == '{"type":"signal","data":' + offer + "}"
    assert alice_frame == '{"type":"signal","data":{"candidate": null}}'


def test_third_person_is_turned_away_and_can_still_use_the_connection(connect_member):
    alice, bob, carol = connect_member(), connect_member(), connect_member()
    room = alice.create()["room"]
    bob.join(room)

    refused = carol.join(room)

    assert refused["type"] == "error" and refused["code"] == "room-full"
    assert "two people" in refused["message"]
    assert carol.create()["type"] == "joined"
    alice.expect("peer-joined")
    alice.expect_silence()  # carol's attempt is invisible to the people in the call


def test_unknown_and_malformed_codes_get_their_own_errors(connect_member):
    carol = connect_member()

    assert carol.join("abcd-efgh-jkmn")["code"] == "room-not-found"
    assert carol.join("not a code")["code"] == "bad-room-code"
    assert carol.join("abcd-efgh-jkm1")["code"] == "bad-room-code"


def test_leave_tells_the_peer_at_once_and_frees_the_seat(connect_member):
    alice, bob, carol = connect_member(), connect_member(), connect_member()
    room = alice.create()["room"]
    bob.join(room)
    alice.expect("peer-joined")

    bob.send({"type": "leave"})

    alice.expect("peer-left")
    assert carol.join(room)["polite"] is True
    alice.expect("peer-joined", resumed=False)


def test_a_dropped_member_keeps_the_seat_and_resumes_it_within_the_grace_period(connect_member):
    alice, bob = connect_member(), connect_member()
    room = alice.create()["room"]
    bob_seat = bob.join(room)
    alice.expect("peer-joined")

    bob.close()
    alice.expect_silence(0.2)  # grace is 0.5 s: no peer-left yet
    bob_again = connect_member()
    joined = bob_again.join(room, resume=bob_seat["resume"])

    assert joined["type"] == "joined" and joined["resumed"] is True
    assert joined["polite"] is True and joined["peer_present"] is True
    alice.expect("peer-joined", resumed=True)
    alice.expect_silence(0.6)  # the grace timer was cancelled: no late peer-left


def test_the_seat_is_not_reclaimable_by_a_stranger_during_the_grace_period(connect_member):
    alice, bob, carol = connect_member(), connect_member(), connect_member()
    room = alice.create()["room"]
    bob.join(room)
    bob.close()

    assert carol.join(room, resume="not-bobs-token")["code"] == "room-full"


def test_after_the_grace_period_the_peer_is_told_and_the_token_is_void(connect_member):
    alice, bob = connect_member(), connect_member()
    room = alice.create()["room"]
    bob_seat = bob.join(room)
    alice.expect("peer-joined")

    bob.close()

    alice.expect("peer-left")  # after 0.5 s
    bob_again = connect_member()
    joined = bob_again.join(room, resume=bob_seat["resume"])
    assert joined["type"] == "joined" and joined["resumed"] is False
    assert joined["resume"] != bob_seat["resume"]


def test_resuming_a_seat_whose_old_socket_is_still_open_replaces_it(connect_member):
    alice, old_tab = connect_member(), connect_member()
    seat = alice.create()
    old_tab.join(seat["room"])
    alice.expect("peer-joined")

    new_tab = connect_member()
    joined = new_tab.join(seat["room"], resume=seat["resume"])

    assert joined["resumed"] is True and joined["polite"] is False
    alice.expect("error", code="replaced")
    old_tab.expect("peer-joined", resumed=True)


def test_an_empty_room_expires_after_its_ttl(connect_member):
    alice, bob = connect_member(), connect_member()
    room = alice.create()["room"]
    alice.send({"type": "leave"})
    time.sleep(0.2)
    assert bob.join(room)["type"] == "joined"  # still there right after everyone left
    bob.send({"type": "leave"})

    time.sleep(1.3)  # empty_room_ttl is 1 s

    assert bob.join(room)["code"] == "room-not-found"


def test_two_rooms_in_parallel_never_see_each_others_frames(connect_member):
    a1, a2, b1, b2 = (connect_member() for _ in range(4))
    room_a, room_b = a1.create()["room"], b1.create()["room"]
    a2.join(room_a)
    b2.join(room_b)
    a1.expect("peer-joined")
    b1.expect("peer-joined")

    for index in range(20):
        a1.send({"type": "signal", "data": {"room": "a", "n": index}})
        b1.send({"type": "signal", "data": {"room": "b", "n": index}})

    assert [a2.recv()["data"] for _ in range(20)] == [{"room": "a", "n": n} for n in range(20)]
    assert [b2.recv()["data"] for _ in range(20)] == [{"room": "b", "n": n} for n in range(20)]
    a2.expect_silence()
    b2.expect_silence()


def test_signal_to_an_absent_peer_is_dropped_without_error(connect_member):
    alice = connect_member()
    alice.create()

    alice.send({"type": "signal", "data": {"candidate": None}})

    alice.expect_silence()


@pytest.mark.parametrize(
    "settings", [Settings(turn_urls=("turn:127.0.0.1:3478",), turn_secret="s", turn_ttl=2)]
)
def test_members_get_fresh_turn_credentials_before_theirs_expire(connect_member):
    alice = connect_member()
    first = alice.create()["ice_servers"][0]

    refreshed = alice.recv(timeout=3)  # every TTL/2 = 1 s

    assert refreshed["type"] == "ice-servers"
    fresh = refreshed["ice_servers"][0]
    assert fresh["urls"] == first["urls"]
    assert int(fresh["username"].split(":")[0]) > int(first["username"].split(":")[0])


@pytest.mark.parametrize("settings", [Settings(test_tamper_fingerprint=True)])
def test_the_test_only_tamperer_alters_fingerprints_in_transit(connect_member):
    alice, bob, room = in_a_call(connect_member)
    sdp = "v=0\\r\\na=fingerprint:sha-256 AB:CD:EF\\r\\na=setup:actpass\\r\\n"
    alice.send('{"type":"signal","data":{"description":{"type":"offer","sdp":"' + sdp + '"}}}')

    relayed = bob.recv()["data"]["description"]["sdp"]

    assert "a=fingerprint:sha-256 0B:CD:EF" in relayed
    assert "a=setup:actpass" in relayed


def test_fingerprints_pass_untouched_by_default(connect_member):
    alice, bob, room = in_a_call(connect_member)
    data = '{"sdp":"a=fingerprint:sha-256 AB:CD"}'
    alice.send('{"type":"signal","data":' + data + "}")

    assert bob.recv_text() == '{"type":"signal","data":' + data + "}"
