"""The in-process hub: rooms, seats and delivery between the two members of a room.

It is the default and the reference behaviour; the Redis hub (redis_hub.py) implements the
same interface (hubs.Hub) so that several signaling processes share rooms.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import msgspec

from .hubs import Connection
from .logs import event, room_id
from .metrics import Metrics, count_room_states
from .protocol import IceServers, Joined, PeerJoined, PeerLeft, ProtocolError, Relayed, encode
from .rooms import JoinOutcome, Room, RoomRegistry, Seat


class InProcessHub:
    def __init__(
        self,
        ice_servers: Callable[[], list[dict[str, Any]]],
        seat_grace: float,
        empty_room_ttl: float,
        transform: Callable[[msgspec.Raw], msgspec.Raw] | None = None,
        resume_secret: str = "",
        metrics: Metrics | None = None,
    ) -> None:
        self.registry = RoomRegistry(resume_secret)
        self.metrics = metrics or Metrics()
        self.metrics.watch_rooms(lambda: count_room_states(self.registry))
        self._started = time.monotonic()
        self._ice_servers = ice_servers
        self._transform = transform  # only the test-only fingerprint tamperer
        self._seat_grace = seat_grace
        self._empty_room_ttl = empty_room_ttl
        self._seats: dict[Connection, tuple[Room, Seat]] = {}
        self._background: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Nothing to connect to: every room lives in this process."""

    # --- requests from a member --------------------------------------------------------

    async def create(self, conn: Connection) -> None:
        self._ensure_outside(conn)
        outcome = self.registry.create(conn)
        self.metrics.joins.labels("created").inc()
        event("room-created", room=room_id(outcome.room.code))
        await self._seated(conn, outcome)

    async def join(self, conn: Connection, room_code: str, resume: str | None) -> None:
        self._ensure_outside(conn)
        # Right after a (re)start, resume tokens may rebuild the rooms of the last process.
        restore = time.monotonic() - self._started < self._seat_grace
        try:
            outcome = self.registry.join(room_code, conn, resume, restore)
        except ProtocolError as refused:
            self.metrics.joins.labels(refused.code).inc()
            raise
        self.metrics.joins.labels("resumed" if outcome.resumed else "joined").inc()
        if outcome.resumed:
            self.metrics.resumes.inc()
        await self._seated(conn, outcome)

    def is_seated(self, conn: Connection) -> bool:
        return conn in self._seats

    async def relay(self, conn: Connection, data: msgspec.Raw) -> None:
        room, seat = self._seat_of(conn)
        other = room.other(seat)
        # Frames for a peer who is absent or reconnecting are dropped: negotiation restarts
        # on `peer-joined`, and stale descriptions would only confuse a fresh page.
        if other is not None and other.member is not None:
            if self._transform is not None:
                data = self._transform(data)
            self.metrics.relayed_messages.inc()
            self.metrics.relayed_bytes.inc(len(data))
            await other.member.send(encode(Relayed(data)))

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

    # --- bookkeeping --------------------------------------------------------------------

    def _ensure_outside(self, conn: Connection) -> None:
        if conn in self._seats:
            raise ProtocolError("already-in-room")

    def _seat_of(self, conn: Connection) -> tuple[Room, Seat]:
        held = self._seats.get(conn)
        if held is None:
            raise ProtocolError("not-in-room")
        return held

    async def _seated(self, conn: Connection, outcome: JoinOutcome) -> None:
        room, seat = outcome.room, outcome.seat
        self._seats[conn] = (room, seat)
        room.expiry_timer = _cancelled(room.expiry_timer)
        seat.grace_timer = _cancelled(seat.grace_timer)
        if room.restoring and len(room.seats) == 1:
            loop = asyncio.get_running_loop()
            loop.call_later(self._seat_grace, self._end_restoring, room)
        event("seat-taken", room=room_id(room.code), resumed=outcome.resumed, polite=seat.polite)
        if outcome.replaced is not None:
            del self._seats[outcome.replaced]
            self._spawn(outcome.replaced.close_replaced())
        other = room.other(seat)
        joined = Joined(
            room=room.code,
            polite=seat.polite,
            peer_present=other is not None,
            resume=seat.resume_token,
            resumed=outcome.resumed,
            ice_servers=self._ice_servers(),
        )
        # `joined` goes out before the peer hears of us, so its offer cannot overtake it.
        await conn.send(encode(joined))
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
            self._spawn(other.member.send(encode(PeerLeft())))
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
                self._spawn(seat.member.send(encode(PeerLeft())))

    def _expire(self, room: Room) -> None:
        if self.registry.forget(room):
            event("room-expired", room=room_id(room.code))

    async def refresh_ice_servers(self, interval: float) -> None:
        """Every `interval` seconds, give each member fresh TURN credentials, so a call longer
        than their lifetime can still ICE-restart through the relay. Runs until cancelled."""
        while True:
            await asyncio.sleep(interval)
            for conn in list(self._seats):
                self._spawn(conn.send(encode(IceServers(self._ice_servers()))))

    async def refresh_metrics(self) -> None:
        """Nothing to do: rooms are counted from the registry when scraped."""

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close(self) -> None:
        """Cancel timers and wait for pending notifications (at shutdown)."""
        for room in self.registry.rooms.values():
            room.expiry_timer = _cancelled(room.expiry_timer)
            for seat in room.seats:
                seat.grace_timer = _cancelled(seat.grace_timer)
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)


def _cancelled(timer: asyncio.TimerHandle | None) -> None:
    if timer is not None:
        timer.cancel()
