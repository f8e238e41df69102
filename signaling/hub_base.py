"""What both hubs do alike for the sockets of this process: which seat each holds, the
checks on it, the `joined` frame, TURN refreshes, notifications sent in the background, and
the accounting of joins and relays (metrics and events)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

import msgspec

from .hub import Connection
from .logs import event, room_id
from .metrics import Metrics
from .protocol import IceServers, Joined, ProtocolError, Relayed, encode

# The RTCIceServer list for one member, fresh credentials at each call.
IceServerSource = Callable[[], list[dict[str, object]]]

Held = TypeVar("Held")  # what a hub remembers of a seat held by one of its sockets


class BaseHub(Generic[Held]):
    """The shared half of a hub. Subclasses implement the requests (`create`, `join`,
    `relay`, `leave`, `disconnect`) and `count_rooms`, and keep `_seats` up to date."""

    def __init__(self, metrics: Metrics, ice_servers: IceServerSource) -> None:
        self.metrics = metrics
        self._ice_servers = ice_servers
        self._seats: dict[Connection, Held] = {}
        self._background: set[asyncio.Task[None]] = set()

    @property
    def broker_up(self) -> bool | None:
        """No broker here; the Redis hub answers for its link."""
        return None

    def is_seated(self, conn: Connection) -> bool:
        return conn in self._seats

    async def refresh_ice_servers(self, interval: float) -> None:
        """Every `interval` seconds, give each member fresh TURN credentials, so a call longer
        than their lifetime can still ICE-restart through the relay. Runs until cancelled."""
        while True:
            await asyncio.sleep(interval)
            for conn in list(self._seats):
                self._spawn(conn.send(encode(IceServers(self._ice_servers()))))

    async def _finish_background(self) -> None:
        """Wait for the notifications still being sent (at shutdown)."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    # --- checks -------------------------------------------------------------------------

    def _ensure_outside(self, conn: Connection) -> None:
        """Raises ProtocolError `already-in-room` if `conn` holds a seat."""
        if conn in self._seats:
            raise ProtocolError("already-in-room")

    def _seat_of(self, conn: Connection) -> Held:
        """The seat `conn` holds; raises ProtocolError `not-in-room` if none."""
        held = self._seats.get(conn)
        if held is None:
            raise ProtocolError("not-in-room")
        return held

    # --- frames and accounting ----------------------------------------------------------

    def _joined(
        self, code: str, polite: bool, peer_present: bool, token: str, resumed: bool
    ) -> str:
        """The encoded `joined` frame, with fresh ICE servers."""
        frame = Joined(
            room=code,
            polite=polite,
            peer_present=peer_present,
            resume=token,
            resumed=resumed,
            ice_servers=self._ice_servers(),
        )
        return encode(frame)

    def _count_created(self, code: str) -> None:
        """`create` seated its caller in the new room `code` (the creator's seat is impolite)."""
        self.metrics.joins.labels("created").inc()
        event("room-created", room=room_id(code))
        event("seat-taken", room=room_id(code), resumed=False, polite=False)

    def _count_joined(self, code: str, resumed: bool, polite: bool) -> None:
        """`join` seated its caller, in a free seat or (`resumed`) its own again."""
        self.metrics.joins.labels("resumed" if resumed else "joined").inc()
        if resumed:
            self.metrics.resumes.inc()
        event("seat-taken", room=room_id(code), resumed=resumed, polite=polite)

    def _count_refused(self, refused: ProtocolError) -> None:
        """A `join` was refused with `refused` (which the caller raises)."""
        self.metrics.joins.labels(refused.code).inc()

    def _relayed(self, data: msgspec.Raw) -> str:
        """The encoded `signal` frame for the other member, counted."""
        self.metrics.relayed_messages.inc()
        self.metrics.relayed_bytes.inc(len(data))
        return encode(Relayed(data))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` in the background (a send that must not hold up the caller)."""
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
