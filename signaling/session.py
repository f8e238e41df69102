"""One member's WebSocket: turns frames into hub requests and errors into `error` frames,
and enforces the per-socket and per-address limits."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette import status
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from . import protocol
from .config import Settings
from .config_rules import normalize_origin
from .host_sessions import COOKIE, HostSessions
from .hub import Connection, Hub
from .limits import AddressLimits, TokenBucket
from .logs import event
from .metrics import Metrics
from .protocol import Create, Join, Leave, Ping, Pong, ProtocolError, Signal
from .tamper import tamper_fingerprints

# A join refused for one of these counts towards the address's failed-join limit, which
# makes guessing meeting codes impractical.
FAILED_JOIN_CODES = frozenset({"bad-room-code", "room-not-found", "room-full", "room-restoring"})
FLUSH_TIMEOUT = 1.0  # seconds to write what is queued when a session ends
PING = protocol.encode(Ping()).encode()  # the client's heartbeat as it sends it
PONG = protocol.encode(Pong())


@dataclass(frozen=True)
class Service:
    """What every member's session of one process shares."""

    hub: Hub
    metrics: Metrics
    settings: Settings
    limits: AddressLimits
    # Who may `create` (VISAVIS_ACCESS); None: anyone, as with `open`.
    sessions: HostSessions | None = None


class _Close:
    """Queued after the last frames: close the socket once they are written."""

    __slots__ = ("code", "reason")

    def __init__(self, code: int, reason: str) -> None:
        self.code, self.reason = code, reason


class WebSocketConnection:
    """The hub's view of one socket. `send` never waits: frames queue in an outbox that one
    writer task drains, so a peer that does not read cannot stall the sender. Beyond
    `outbox_bytes` queued, the socket is given up (`on_overflow`)."""

    __slots__ = (
        "websocket",
        "_outbox",
        "_queued",
        "_limit",
        "_wakeup",
        "_on_overflow",
        "_stopped",
        "overflowed",
    )

    def __init__(
        self, websocket: WebSocket, outbox_bytes: int, on_overflow: Callable[[], object]
    ) -> None:
        self.websocket = websocket
        self._outbox: deque[str | _Close | None] = deque()
        self._queued = 0
        self._limit = outbox_bytes
        self._wakeup = asyncio.Event()
        self._on_overflow = on_overflow
        self._stopped = False
        self.overflowed = False

    async def send(self, text: str) -> None:
        if self.overflowed or self._stopped:
            return
        if self._queued + len(text) > self._limit:
            self.overflowed = True
            self._outbox.clear()
            self._on_overflow()
            return
        self._queued += len(text)
        self._enqueue(text)

    def close_after_sending(self, code: int, reason: str) -> None:
        self._enqueue(_Close(code, reason))

    def stop(self) -> None:
        """Take no more frames; let the writer finish what is queued, then end."""
        self._stopped = True
        self._enqueue(None)

    async def close_replaced(self) -> None:
        await self.send(protocol.encode(ProtocolError("replaced").frame()))
        self.close_after_sending(status.WS_1008_POLICY_VIOLATION, "replaced")

    def _enqueue(self, item: str | _Close | None) -> None:
        self._outbox.append(item)
        self._wakeup.set()

    async def write_forever(self) -> None:
        websocket = self.websocket
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._outbox:
                item = self._outbox.popleft()
                if item is None:
                    return
                if isinstance(item, str):
                    self._queued -= len(item)
                if websocket.application_state is not WebSocketState.CONNECTED:
                    continue  # gone: its session notices and tells the hub
                with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                    if isinstance(item, _Close):
                        await websocket.close(item.code, item.reason)
                        return
                    await websocket.send_text(item)


def origin_allowed(websocket: WebSocket, public_url: str) -> bool:
    """Browsers must come from our own pages: another site's script could otherwise use a
    visitor's browser against us. Clients without an Origin are not browsers. Origins are
    compared normalised: case, and the scheme's default port, never count."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    try:
        origin = normalize_origin(origin)
        if public_url:
            return origin == normalize_origin(public_url)
        # The same host as the request: its scheme is the page's (TLS may end at nginx).
        scheme = urlsplit(origin).scheme
        return origin == normalize_origin(f"{scheme}://{websocket.headers.get('host', '')}")
    except ValueError:  # "null" (a sandboxed page, a file) or a malformed header
        return False


async def serve_member(websocket: WebSocket, service: Service) -> None:
    """Run one member's session until its socket closes; the hub hears of every seat it took."""
    hub, metrics, settings, limits = service.hub, service.metrics, service.settings, service.limits
    if not origin_allowed(websocket, settings.public_url):
        metrics.disconnects.labels("origin").inc()
        await websocket.close(status.WS_1008_POLICY_VIOLATION)  # before accept: HTTP 403
        return
    await websocket.accept()
    address = websocket.client.host if websocket.client else "unknown"
    if not limits.connections.acquire(address):
        metrics.rate_limited.labels("connections").inc()
        await websocket.send_text(protocol.encode(ProtocolError("too-many-connections").frame()))
        await websocket.close(status.WS_1013_TRY_AGAIN_LATER, "too many connections")
        return
    reader = asyncio.current_task()
    assert reader is not None
    conn = WebSocketConnection(websocket, settings.outbox_bytes, reader.cancel)
    writer = asyncio.create_task(conn.write_forever())
    metrics.connections.inc()
    try:
        await _read_frames(conn, service, address, websocket.cookies.get(COOKIE))
    except asyncio.CancelledError:
        if not conn.overflowed:
            raise
        reader.uncancel()
        # It stopped reading while its peer kept sending: give up on it, memory stays bounded.
        # Leave the hub at once, so the peer's frames are dropped while the close is tried.
        await hub.disconnect(conn)
        metrics.disconnects.labels("slow-reader").inc()
        event("slow-reader-disconnected")
        writer.cancel()
        with contextlib.suppress(TimeoutError, WebSocketDisconnect, RuntimeError, OSError):
            await asyncio.wait_for(websocket.close(1008, "slow reader"), FLUSH_TIMEOUT)
    finally:
        conn.stop()
        await hub.disconnect(conn)
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(writer, FLUSH_TIMEOUT)
        limits.connections.release(address)
        metrics.connections.dec()


async def _read_frames(
    conn: WebSocketConnection, service: Service, address: str, host_cookie: str | None
) -> None:
    websocket, metrics, settings = conn.websocket, service.metrics, service.settings
    frames = TokenBucket(settings.message_rate, settings.message_burst)
    volume = TokenBucket(settings.byte_rate, settings.byte_burst)
    loop = asyncio.get_running_loop()
    # A socket outside any room is closed this long after its last frame; heartbeats do
    # not count, so a forgotten tab cannot hold a connection open with them alone.
    idle_deadline = loop.time() + settings.idle_timeout
    while True:
        if service.hub.is_seated(conn):
            message = await websocket.receive()  # pings keep a seated socket honest
        else:
            try:
                message = await asyncio.wait_for(
                    websocket.receive(), max(idle_deadline - loop.time(), 0.001)
                )
            except TimeoutError:
                metrics.disconnects.labels("idle").inc()
                await conn.send(protocol.encode(ProtocolError("idle").frame()))
                conn.close_after_sending(status.WS_1008_POLICY_VIOLATION, "idle")
                return
        if message["type"] == "websocket.disconnect":
            return
        try:
            text = message.get("text")
            if text is None:
                raise ProtocolError("binary-frame")
            frame = text.encode()
            wait = max(frames.wait_time(1), volume.wait_time(len(frame)))
            if wait:
                metrics.rate_limited.labels("messages").inc()
                raise ProtocolError("rate-limited", retry_after=wait)
            frames.take(1)
            volume.take(len(frame))
            if frame == PING:
                await conn.send(PONG)  # the commonest frame of a quiet call: no decoding
                continue
            request = None
            try:
                request = await handle_frame(conn, service, frame, address, host_cookie)
            finally:  # a refused request is activity too; only a heartbeat is not
                if not isinstance(request, Ping):
                    idle_deadline = loop.time() + settings.idle_timeout
        except ProtocolError as error:
            metrics.errors.labels(error.code).inc()
            await conn.send(protocol.encode(error.frame()))


async def handle_frame(
    conn: Connection, service: Service, frame: bytes, address: str, host_cookie: str | None = None
) -> protocol.ClientMessage:
    """Turn one client frame from `address` into a hub request, within the per-address
    limits, and return the decoded message; `host_cookie` is the host session cookie the
    socket's upgrade carried, if any. Raises ProtocolError for a frame that is refused;
    answers go through `conn`."""
    hub, limits, settings = service.hub, service.limits, service.settings
    if len(frame) > settings.max_frame_bytes:
        raise ProtocolError("too-large", f"{len(frame)} bytes, limit {settings.max_frame_bytes}")
    request = protocol.decode(frame)
    if isinstance(request, Signal):
        data = request.data
        if settings.test_tamper_fingerprint:  # test-only: the lying server of test_verification
            data = tamper_fingerprints(data)
        await hub.relay(conn, data)
    elif isinstance(request, Join):
        wait = limits.failed_joins.wait_time(address)
        if wait:
            service.metrics.rate_limited.labels("failed-joins").inc()
            raise ProtocolError("rate-limited", retry_after=wait)
        try:
            await hub.join(conn, request.room, request.resume)
        except ProtocolError as refused:
            if refused.code in FAILED_JOIN_CODES:
                limits.failed_joins.take(address)
            raise
    elif isinstance(request, Create):
        # VISAVIS_ACCESS=hosts: only a host that still exists may start a meeting.
        if service.sessions and not await service.sessions.may_create(host_cookie):
            raise ProtocolError("hosts-only")
        wait = limits.rooms.take(address)
        if wait:
            service.metrics.rate_limited.labels("rooms").inc()
            raise ProtocolError("rate-limited", retry_after=wait)
        await hub.create(conn)
    elif isinstance(request, Leave):
        await hub.leave(conn)
    elif isinstance(request, Ping):
        await conn.send(PONG)
    return request
