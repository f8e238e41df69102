"""What the session code needs from a hub: rooms, seats and delivery between the two members
of a room, behind one small interface.

Two hubs implement it, one module each: `hub_memory.MemoryHub` (the default and the reference
behaviour: this process holds every room) and `hub_redis.RedisHub` (several processes share
rooms and deliver each other's frames through Redis). The app picks one by
VISAVIS_BROKER_URL; `hub_base.BaseHub` holds what the two do alike.

A leaf: this module imports nothing from signaling, so any module may depend on it
(pyproject's import-linter contracts keep it so).
"""

from __future__ import annotations

from typing import Protocol

import msgspec


class Connection(Protocol):
    """One member's socket as a hub sees it."""

    async def send(self, text: str) -> None:
        """Queue one text frame for the member; never waits for the network."""

    async def close_replaced(self) -> None:
        """The seat was taken back elsewhere: send `replaced`, then close."""

    def close_after_sending(self, code: int, reason: str) -> None:
        """Close with WebSocket close `code` once the frames queued before are out."""


class Hub(Protocol):
    """Rooms of two seats and delivery between their members.

    Requests (`create`, `join`, `relay`, `leave`) raise `protocol.ProtocolError` for refusals
    (`already-in-room`, `not-in-room`, `room-full`, `unavailable`, ...); nothing else escapes
    them. Every frame for a member goes through its `Connection.send`."""

    async def start(self) -> None:
        """Connect to what the hub needs (at start-up); may raise if it cannot."""

    async def close(self) -> None:
        """At shutdown: finish pending notifications and let go of timers and connections."""

    async def create(self, conn: Connection) -> None:
        """Make a room and seat `conn` in it; `conn` gets `joined`."""

    async def join(self, conn: Connection, room_code: str, resume: str | None) -> None:
        """Seat `conn` in the room `room_code` names (any spelling `parse_room_code` takes),
        taking back the seat `resume` was issued for if it is genuine; `conn` gets `joined`
        and the other member, if any, `peer-joined`."""

    async def room_exists(self, room_code: str) -> bool:
        """Whether a room of that code (any spelling `parse_room_code` takes) is held now,
        seated or in its grace period; False for a malformed code or while the broker is
        away. For the lobby's connection check on a hosts-only server."""

    def is_seated(self, conn: Connection) -> bool:
        """Whether `conn` holds a seat now."""

    async def relay(self, conn: Connection, data: msgspec.Raw) -> None:
        """Forward a `signal` payload, bytes untouched, to the other member of `conn`'s room;
        dropped while that seat is empty or its holder away."""

    async def leave(self, conn: Connection) -> None:
        """Give up `conn`'s seat at once; the other member gets `peer-left`."""

    async def disconnect(self, conn: Connection) -> None:
        """`conn`'s socket is gone: its seat, if any, waits out the grace period for a resume.
        Never raises, also for a socket that held no seat."""

    async def refresh_ice_servers(self, interval: float) -> None:
        """Every `interval` seconds, send each seated member fresh `ice-servers`. Runs until
        cancelled."""

    @property
    def broker_up(self) -> bool | None:
        """Whether Redis answers this instance now (the Redis hub), or None without a broker;
        for the metrics."""

    async def count_rooms(self) -> dict[str, int]:
        """Rooms by state (`rooms.ROOM_STATES`: empty, waiting, in-call, reconnecting), for
        the metrics; every state is a key."""
