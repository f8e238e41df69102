"""Rooms, seats and resume tokens as plain bookkeeping: RoomRegistry without a server."""

from __future__ import annotations

import pytest

from signaling.protocol import ProtocolError
from signaling.rooms import ROOM_STATES, ResumeTokens, RoomRegistry, count_room_states

SECRET = "a-secret-for-the-tests"


class Member:
    """Stands for a member's connection: the registry only keeps it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


def refused(code: str):
    return pytest.raises(ProtocolError, match=f"^{code}$")


@pytest.fixture
def registry() -> RoomRegistry:
    return RoomRegistry(SECRET)


def test_the_creator_takes_the_impolite_seat_and_a_guest_the_polite_one(registry):
    alice, bob = Member("alice"), Member("bob")

    created = registry.create(alice)
    joined = registry.join(created.room.code.upper(), bob, None)

    assert joined.room is created.room
    assert (created.seat.polite, joined.seat.polite) == (False, True)
    assert [seat.member for seat in created.room.seats] == [alice, bob]
    assert not joined.resumed and joined.replaced is None
    assert created.room.other(created.seat) is joined.seat


def test_a_third_person_is_refused_and_a_freed_seat_taken_again(registry):
    created = registry.create(Member("alice"))
    bob = registry.join(created.room.code, Member("bob"), None)

    with refused("room-full"):
        registry.join(created.room.code, Member("carol"), None)
    registry.release(created.room, bob.seat)
    carol = registry.join(created.room.code, Member("carol"), None)
    assert carol.seat.polite is True


def test_codes_that_are_not_codes_or_not_rooms_are_refused(registry):
    with refused("bad-room-code"):
        registry.join("not a code", Member("bob"), None)
    with refused("room-not-found"):
        registry.join("abcd-efgh-jkmn", Member("bob"), None)


def test_a_resume_token_gives_its_own_seat_back_and_names_who_held_it(registry):
    alice, alice_again = Member("alice"), Member("alice in a new tab")
    created = registry.create(alice)
    registry.join(created.room.code, Member("bob"), None)

    back = registry.join(created.room.code, alice_again, created.seat.resume_token)

    assert back.resumed and back.seat is created.seat and back.replaced is alice
    assert created.seat.member is alice_again
    assert len(created.room.seats) == 2


def test_a_token_of_a_released_seat_is_void(registry):
    created = registry.create(Member("alice"))
    bob = registry.join(created.room.code, Member("bob"), None)
    token = bob.seat.resume_token
    registry.release(created.room, bob.seat)

    again = registry.join(created.room.code, Member("bob again"), token)

    assert not again.resumed  # a fresh seat, with a fresh token
    assert again.seat.resume_token != token


def test_an_empty_room_is_forgotten_only_while_empty(registry):
    created = registry.create(Member("alice"))
    room = created.room

    assert not registry.forget(room)  # someone is in it
    registry.release(room, created.seat)
    assert registry.forget(room)
    assert room.code not in registry.rooms
    with refused("room-not-found"):
        registry.join(room.code, Member("bob"), None)


def test_after_a_restart_genuine_tokens_rebuild_the_room_seat_by_seat(registry):
    before = registry.create(Member("alice"))
    bob_before = registry.join(before.room.code, Member("bob"), None)
    code, alice_token = before.room.code, before.seat.resume_token
    restarted = RoomRegistry(SECRET)  # a new process: no rooms, the same secret

    alice = restarted.join(code, Member("alice"), alice_token, restore=True)

    assert alice.resumed and alice.seat.polite is False and alice.room.restoring
    with refused("room-restoring"):  # bob's seat waits for bob's token
        restarted.join(code, Member("stranger"), None, restore=True)
    bob = restarted.join(code, Member("bob"), bob_before.seat.resume_token, restore=True)
    assert bob.resumed and bob.seat.polite is True and not bob.room.restoring


def test_tokens_rebuild_rooms_only_when_restoring_with_the_same_secret(registry):
    before = registry.create(Member("alice"))
    code, token = before.room.code, before.seat.resume_token

    with refused("room-not-found"):
        RoomRegistry(SECRET).join(code, Member("alice"), token, restore=False)
    with refused("room-not-found"):
        RoomRegistry("another secret").join(code, Member("alice"), token, restore=True)
    other_code = registry.create(Member("carol")).room.code
    with refused("room-not-found"):  # a token is bound to its room
        RoomRegistry(SECRET).join(other_code, Member("alice"), token, restore=True)
    # The positive control: the same token, room and secret, while restoring.
    assert RoomRegistry(SECRET).join(code, Member("alice"), token, restore=True).resumed


def test_a_token_tells_its_role_only_for_its_room_and_secret():
    tokens = ResumeTokens(SECRET)
    impolite, polite = tokens.issue("abcd-efgh-jkmn", False), tokens.issue("abcd-efgh-jkmn", True)

    assert tokens.role("abcd-efgh-jkmn", impolite) is False
    assert tokens.role("abcd-efgh-jkmn", polite) is True
    assert tokens.role("zyxw-vuts-rqpn", polite) is None
    assert ResumeTokens("another secret").role("abcd-efgh-jkmn", polite) is None
    assert tokens.role("abcd-efgh-jkmn", "0" + polite[1:]) is None  # the role is signed too
    assert tokens.role("abcd-efgh-jkmn", "") is None


def test_rooms_are_counted_by_state():
    rooms = [[], [True], [True, True], [True, False], [False], [True, True]]

    assert count_room_states(rooms) == {"empty": 1, "waiting": 1, "in-call": 2, "reconnecting": 2}
    assert count_room_states([]) == dict.fromkeys(ROOM_STATES, 0)  # every state, even at 0
