"""Property-based fuzzing of the frame decoder and of whole sessions.

`make test` runs a bounded number of examples; `make fuzz` runs many more
(VISAVIS_FUZZ_EXAMPLES)."""

from __future__ import annotations

import asyncio
import json
import os
from itertools import count

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from signaling import protocol
from signaling.config import Settings
from signaling.hub_memory import MemoryHub
from signaling.hub_redis import RedisHub
from signaling.limits import AddressLimits
from signaling.metrics import Metrics
from signaling.protocol import ERROR_MESSAGES, ProtocolError
from signaling.redis_scripts import channel, room_key
from signaling.session import Service, handle_frame
from tests.service.conftest import HUBS

EXAMPLES = int(os.environ.get("VISAVIS_FUZZ_EXAMPLES", "100"))
CLIENTS = 4

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
frames_like_ours = st.fixed_dictionaries(
    {"type": st.sampled_from(["create", "join", "signal", "leave", "ping", ""])},
    optional={"room": json_values, "resume": json_values, "data": json_values},
).map(json.dumps)
any_frame = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    frames_like_ours.map(str.encode),
)


@settings(max_examples=EXAMPLES * 10, deadline=None)
@given(any_frame)
@example(b"0\x00")  # found by the fuzzer: a wrong type seen before the bad bytes
@example(b'"\x80"')  # found by the fuzzer: not UTF-8 inside a string
def test_the_decoder_answers_every_frame_with_a_message_or_a_known_error(frame: bytes):
    try:
        message = protocol.decode(frame)
    except ProtocolError as error:
        assert error.code in ERROR_MESSAGES
        assert protocol.encode(error.frame()).startswith('{"type":"error"')
    else:
        assert isinstance(message, protocol.ClientMessage)


class RecordingConnection:
    """A member's socket that keeps what the server sent it."""

    def __init__(self) -> None:
        self.frames: list[dict] = []

    async def send(self, text: str) -> None:
        self.frames.append(json.loads(text))

    async def close_replaced(self) -> None:
        self.frames.append({"type": "closed"})

    def close_after_sending(self, code: int, reason: str) -> None:
        self.frames.append({"type": "closed", "code": code})


class Sessions(RuleBasedStateMachine):
    """Several clients send random valid and invalid frames through the real session
    handler and hub. The model tracks each client's room only from what the server told it."""

    def __init__(self, broker: str | None = None) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        # Limits have their own tests; here they would only cut sequences short.
        self.settings = Settings(
            seat_grace=60, rooms_per_minute=10**6, failed_joins_per_minute=10**6
        )
        metrics = Metrics()
        if broker:
            self.hub: MemoryHub | RedisHub = RedisHub(broker, metrics, lambda: [], 60, 60)
        else:
            self.hub = MemoryHub(metrics, lambda: [], self.settings.seat_grace, 60)
        self.service = Service(self.hub, metrics, self.settings, AddressLimits(self.settings))
        self.loop.run_until_complete(self.hub.start())
        if isinstance(self.hub, RedisHub):
            self.probe = self.loop.run_until_complete(Probe.seated(self.hub))
        self.clients = [RecordingConnection() for _ in range(CLIENTS)]
        self.rooms_of: dict[RecordingConnection, str | None] = dict.fromkeys(self.clients)
        self.tokens: list[tuple[str, str]] = []  # (room, resume) seen by any client
        self.markers = count()

    def teardown(self) -> None:
        self.loop.run_until_complete(self.hub.close())
        self.loop.close()

    def _send(self, client: RecordingConnection, frame: bytes) -> None:
        before = len(client.frames)

        async def handle() -> None:
            try:
                address = f"198.51.100.{self.clients.index(client) + 1}"
                await handle_frame(client, self.service, frame, address)
            except ProtocolError as error:
                await client.send(protocol.encode(error.frame()))

        self.loop.run_until_complete(handle())
        self._settle()
        for answer in client.frames[before:]:
            if answer["type"] == "joined":
                self.rooms_of[client] = answer["room"]
                self.tokens.append((answer["room"], answer["resume"]))
        refused = any(answer["type"] == "error" for answer in client.frames[before:])
        if not refused and isinstance(protocol.decode(frame), protocol.Leave):
            self.rooms_of[client] = None

    @rule(who=st.integers(0, CLIENTS - 1))
    def create(self, who: int) -> None:
        self._send(self.clients[who], b'{"type":"create"}')

    @rule(who=st.integers(0, CLIENTS - 1), pick=st.integers(0, 50), resume=st.booleans())
    def join_a_known_room(self, who: int, pick: int, resume: bool) -> None:
        if not self.tokens:
            return
        recent = self.tokens[-3:]  # mostly live rooms; older ones test stale codes and tokens
        pool = recent if pick % 4 else self.tokens
        room, token = pool[pick % len(pool)]
        frame = {"type": "join", "room": room, **({"resume": token} if resume else {})}
        if self.rooms_of[self.clients[who]] is not None:
            self.leave(who)  # `anything` covers joining while seated
        self._send(self.clients[who], json.dumps(frame).encode())

    @rule(who=st.integers(0, CLIENTS - 1))
    def leave(self, who: int) -> None:
        self._send(self.clients[who], b'{"type":"leave"}')

    @rule(who=st.integers(0, CLIENTS - 1), frame=any_frame)
    def anything(self, who: int, frame: bytes) -> None:
        self._send(self.clients[who], frame)

    @rule(who=st.integers(0, CLIENTS - 1))
    def signal(self, who: int) -> None:
        sender = self.clients[who]
        marker = next(self.markers)
        self._send(sender, json.dumps({"type": "signal", "data": {"m": marker}}).encode())
        receivers = [
            client
            for client in self.clients
            if {"type": "signal", "data": {"m": marker}} in client.frames
        ]
        for receiver in receivers:
            assert receiver is not sender
            assert self.rooms_of[receiver] is not None
            assert self.rooms_of[receiver] == self.rooms_of[sender]

    @rule(who=st.integers(0, CLIENTS - 1))
    def drop_connection(self, who: int) -> None:
        gone = self.clients[who]
        self.loop.run_until_complete(self.hub.disconnect(gone))
        self._settle()
        fresh = self.clients[who] = RecordingConnection()
        del self.rooms_of[gone]
        self.rooms_of[fresh] = None

    def _settle(self) -> None:
        """With Redis, wait until this instance read everything published so far: frames
        and notifications reach sockets through its pub/sub channel."""
        if isinstance(self.hub, RedisHub):
            self.loop.run_until_complete(self.probe.settle(next(self.markers)))

    @invariant()
    def no_room_has_more_than_two_seats(self) -> None:
        if isinstance(self.hub, RedisHub):
            self.loop.run_until_complete(self._seats_agree_with_redis(self.hub))
            return
        for room in self.hub.registry.rooms.values():
            assert len(room.seats) <= 2
            assert len({seat.polite for seat in room.seats}) == len(room.seats)

    async def _seats_agree_with_redis(self, hub: RedisHub) -> None:
        """Two seats per room by construction; each seat this instance thinks a socket
        holds is that socket's in Redis too."""
        assert hub.link.client is not None
        for conn, (code, role) in hub._seats.items():
            member = await hub.link.client.hget(f"visavis:room:{code}", f"m{role}")
            assert member == hub._member(conn)

    @invariant()
    def a_replaced_client_is_out_of_its_room(self) -> None:
        for client in self.clients:
            if client.frames and client.frames[-1] == {"type": "closed"}:
                self.rooms_of[client] = None  # the server closes it: its seat moved on


class Probe:
    """A socket alone in a room of the Redis hub, to learn when the hub has delivered
    everything published so far: a frame sent to it through Redis arrives after those."""

    def __init__(self, hub: RedisHub, conn: RecordingConnection, room: str, member: str):
        self.hub, self.conn, self.room, self.member = hub, conn, room, member

    @classmethod
    async def seated(cls, hub: RedisHub) -> Probe:
        conn = RecordingConnection()
        await hub.create(conn)
        room = conn.frames[0]["room"]
        assert hub.link.client is not None
        member = await hub.link.client.hget(room_key(room), "m0")
        return cls(hub, conn, room, member)

    async def settle(self, marker: int) -> None:
        """Publish a marker for the probe on its instance's channel and wait until it arrives
        (the channel's format is redis_scripts' docstring)."""
        link = self.hub.link
        assert link.client is not None
        await link.outbox_empty.wait()  # what the hub publishes goes first
        instance, _, conn_id = self.member.partition("/")
        frame = {"type": "signal", "data": {"settled": marker}}
        await link.client.publish(channel(instance), f"{conn_id} {self.room} f{json.dumps(frame)}")
        deadline = asyncio.get_running_loop().time() + 5
        while frame not in self.conn.frames:
            assert asyncio.get_running_loop().time() < deadline, "the probe's frame never came"
            await asyncio.sleep(0.001)


@pytest.mark.parametrize("hub", HUBS)
def test_random_sessions_keep_rooms_apart_and_at_most_two(hub: str, request) -> None:
    broker = request.getfixturevalue("redis_url") if hub == "redis" else None
    run_state_machine_as_test(
        lambda: Sessions(broker),
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
