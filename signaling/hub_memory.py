"""The in-process hub: every room lives in this process (rooms.RoomRegistry), and frames go
straight to the other member's socket.

It is the default and the reference behaviour; the Redis hub (hub_redis.py) passes the same
tests."""

from __future__ import annotations

import asyncio
import time

import msgspec

from .hub import Connection
from .hub_base import BaseHub, IceServerSource
from .logs import event, room_id
from .metrics import Metrics
from .protocol import PeerJoined, PeerLeft, ProtocolError, encode
from .rooms import JoinOutcome, Room, RoomRegistry, Seat, count_room_states, parse_room_code

PEER_LEFT = encode(PeerLeft())


class MemoryHub(BaseHub[tuple[Room, Seat]]):
    """Implements `hub.Hub` in this process.

    `seat_grace` (seconds) is how long a dropped member's seat waits for its resume token, and
    also how long after a start signed tokens may rebuild rooms of the process before (with the
    same `resume_secret`); `empty_room_ttl` (seconds) how long a room without seats lives."""

    def __init__(
        self,
        metrics: Metrics,
        ice_servers: IceServerSource,
        seat_grace: float,
        empty_room_ttl: float,
        resume_secret: str = "",
    ) -> None:
        super().__init__(metrics, ice_servers)
        self.registry = RoomRegistry(resume_secret)
        self._started = time.monotonic()
        self._seat_grace = seat_grace
        self._empty_room_ttl = empty_room_ttl

    async def start(self) -> None:
        """Nothing to connect to: every room lives in this process."""

    async def close(self) -> None:
        """Cancel timers and wait for pending notifications (at shutdown)."""
        for room in self.registry.rooms.values():
            _cancel(room.expiry_timer)
            for seat in room.seats:
                _cancel(seat.grace_timer)
        await self._finish_background()

    # --- requests from a member --------------------------------------------------------

    async def create(self, conn: Connection) -> None:
        self._ensure_outside(conn)
        outcome = self.registry.create(conn)
        self._count_created(outcome.room.code)
        await self._seated(conn, outcome)

    async def join(self, conn: Connection, room_code: str, resume: str | None) -> None:
        self._ensure_outside(conn)
        # Right after a (re)start, resume tokens may rebuild the rooms of the last process.
        restore = time.monotonic() - self._started < self._seat_grace
        try:
            outcome = self.registry.join(room_code, conn, resume, restore)
        except ProtocolError as refused:
            self._count_refused(refused)
            raise
        self._count_joined(outcome.room.code, outcome.resumed, outcome.seat.polite)
        await self._seated(conn, outcome)

    async def relay(self, conn: Connection, data: msgspec.Raw) -> None:
        room, seat = self._seat_of(conn)
        other = room.other(seat)
        # Frames for a peer who is absent or reconnecting are dropped: negotiation restarts
        # on `peer-joined`, and stale descriptions would only confuse a fresh page.
        if other is not None and other.member is not None:
            await other.member.send(self._relayed(data))

    async def leave(self, conn: Connection) -> None:
        room, seat = self._seat_of(conn)
        del self._seats[conn]
        event("seat-left", room=room_id(room.code))
        self._vacate(room, seat)

    async def disconnect(self, conn: Connection) -> None:
        """The socket is gone without `leave`: keep the seat for the grace period."""
        held = self._seats.pop(conn, None)
        if held is None:
            return
        room, seat = held
        seat.member = None
        loop = asyncio.get_running_loop()
        seat.grace_timer = loop.call_later(self._seat_grace, self._grace_ended, room, seat)

    async def room_exists(self, room_code: str) -> bool:
        code = parse_room_code(room_code)
        return code is not None and code in self.registry.rooms

    async def count_rooms(self) -> dict[str, int]:
        rooms = list(self.registry.rooms.values())
        return count_room_states([s.member is not None for s in room.seats] for room in rooms)

    # --- bookkeeping --------------------------------------------------------------------

    async def _seated(self, conn: Connection, outcome: JoinOutcome) -> None:
        room, seat = outcome.room, outcome.seat
        self._seats[conn] = (room, seat)
        _cancel(room.expiry_timer)
        _cancel(seat.grace_timer)
        room.expiry_timer = seat.grace_timer = None
        if room.restoring and len(room.seats) == 1:
            loop = asyncio.get_running_loop()
            loop.call_later(self._seat_grace, self._end_restoring, room)
        if outcome.replaced is not None:
            del self._seats[outcome.replaced]
            self._spawn(outcome.replaced.close_replaced())
        other = room.other(seat)
        joined = self._joined(
            room.code, seat.polite, other is not None, seat.resume_token, outcome.resumed
        )
        # `joined` goes out before the peer hears of us, so its offer cannot overtake it.
        await conn.send(joined)
        if other is not None and other.member is not None:
            await other.member.send(encode(PeerJoined(resumed=outcome.resumed)))

    def _grace_ended(self, room: Room, seat: Seat) -> None:
        seat.grace_timer = None
        if seat.member is None and seat in room.seats:
            event("seat-released", room=room_id(room.code))
            self._vacate(room, seat)

    def _vacate(self, room: Room, seat: Seat) -> None:
        self.registry.release(room, seat)
        other = room.other(seat)
        if other is not None and other.member is not None:
            self._spawn(other.member.send(PEER_LEFT))
        if not room.seats:
            loop = asyncio.get_running_loop()
            room.expiry_timer = loop.call_later(self._empty_room_ttl, self._expire, room)

    def _end_restoring(self, room: Room) -> None:
        """The other seat's holder did not come back after the restart: like a seat whose
        grace period ended, the one still there hears `peer-left` (it may have had a call)."""
        if not room.restoring:
            return
        room.restoring = False
        for seat in room.seats:
            if seat.member is not None:
                self._spawn(seat.member.send(PEER_LEFT))

    def _expire(self, room: Room) -> None:
        if self.registry.forget(room):
            event("room-expired", room=room_id(room.code))


def _cancel(timer: asyncio.TimerHandle | None) -> None:
    if timer is not None:
        timer.cancel()
