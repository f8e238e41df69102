"""`GET /ice-servers`: the ICE servers for the lobby's connection check
(frontend/js/connection-check.js), without a seat.

The answer is what `joined` hands a member (`turn.ice_servers`: the same STUN and TURN URLs),
but its TURN credentials live CHECK_TTL seconds: enough to gather candidates once, too short
to be worth taking for a relay of one's own. Who may ask is who could get credentials by
joining: anyone on an `open` server; on a `hosts` server a signed-in host, or a guest whose
lobby names a meeting that exists now (a made-up code gets `room-not-found`). Each request
costs one of the address's VISAVIS_ROOMS_PER_MINUTE, like starting a meeting would.
"""

from __future__ import annotations

import dataclasses
import math
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .config import Settings
from .host_sessions import COOKIE, HostSessions
from .hub import Hub
from .limits import AddressLimits
from .protocol import ERROR_MESSAGES
from .rooms import parse_room_code
from .turn import ice_servers

CHECK_TTL = 120  # seconds a check's TURN credentials are good for
NO_STORE = {"cache-control": "no-store"}


def ice_check_route(
    settings: Settings, sessions: HostSessions, limits: AddressLimits, hub: Hub
) -> Route:
    """The route; answers `{"ice_servers": [...]}`, or `{"code", "message"}` with 429
    (`rate-limited`, with Retry-After), 403 (`hosts-only`) or 404 (`room-not-found`)."""
    short_lived = dataclasses.replace(settings, turn_ttl=min(CHECK_TTL, settings.turn_ttl))

    async def check(request: Request) -> Response:
        address = request.client.host if request.client else "unknown"
        wait = limits.rooms.take(address)
        if wait:
            retry = {"retry-after": str(math.ceil(wait)), **NO_STORE}
            body = {"code": "rate-limited", "message": ERROR_MESSAGES["rate-limited"]}
            return JSONResponse({**body, "retry_after": wait}, 429, headers=retry)
        if not await sessions.may_create(request.cookies.get(COOKIE)):
            room = request.query_params.get("room", "")
            if parse_room_code(room) is None:
                body = {"code": "hosts-only", "message": ERROR_MESSAGES["hosts-only"]}
                return JSONResponse(body, 403, headers=NO_STORE)
            # A guest gets credentials only where joining would give them: a real meeting.
            if not await hub.room_exists(room):
                body = {"code": "room-not-found", "message": ERROR_MESSAGES["room-not-found"]}
                return JSONResponse(body, 404, headers=NO_STORE)
        servers = ice_servers(short_lived, time.time())
        return JSONResponse({"ice_servers": servers}, headers=NO_STORE)

    return Route("/ice-servers", check, methods=["GET"])
