"""What the session code needs from a hub, and the choice of hub by VISAVIS_BROKER_URL.

Two hubs implement it: `hub.InProcessHub` (the default and the reference behaviour: one
process holds every room) and `redis_hub.RedisHub` (several processes share rooms and
deliver each other's messages through Redis)."""

from __future__ import annotations

import time
from typing import Protocol

import msgspec

from .config import ConfigError, Settings
from .metrics import Metrics
from .tamper import tamper_fingerprints
from .turn import ice_servers


class Connection(Protocol):
    """One member's socket as the hub sees it."""

    async def send(self, text: str) -> None: ...

    async def close_replaced(self) -> None: ...

    def close_after_sending(self, code: int, reason: str) -> None: ...


class Hub(Protocol):
    """Rooms, seats and delivery between the two members of a room. Requests raise
    `ProtocolError` for refusals; nothing else escapes them."""

    metrics: Metrics

    async def start(self) -> None: ...

    async def create(self, conn: Connection) -> None: ...

    async def join(self, conn: Connection, room_code: str, resume: str | None) -> None: ...

    def is_seated(self, conn: Connection) -> bool: ...

    async def relay(self, conn: Connection, data: msgspec.Raw) -> None: ...

    async def leave(self, conn: Connection) -> None: ...

    async def disconnect(self, conn: Connection) -> None: ...

    async def refresh_ice_servers(self, interval: float) -> None: ...

    async def refresh_metrics(self) -> None: ...

    async def close(self) -> None: ...


def make_hub(settings: Settings) -> Hub:
    """The in-process hub, or the Redis hub when VISAVIS_BROKER_URL names a Redis server."""
    common = {
        "ice_servers": lambda: ice_servers(settings, time.time()),
        "seat_grace": settings.seat_grace,
        "empty_room_ttl": settings.empty_room_ttl,
        "transform": tamper_fingerprints if settings.test_tamper_fingerprint else None,
        "resume_secret": settings.resume_secret,
    }
    if not settings.broker_url:
        from .hub import InProcessHub

        return InProcessHub(**common)
    try:
        from .redis_hub import RedisHub
    except ImportError:
        raise ConfigError(
            "VISAVIS_BROKER_URL needs the redis extra: pip install 'visavis[redis]'"
        ) from None
    return RedisHub(settings.broker_url, **common)
