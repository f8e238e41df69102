"""One member's WebSocket: turns frames into hub requests and errors into `error` frames."""

from __future__ import annotations

import contextlib

from starlette import status
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from . import protocol
from .hub import InProcessHub
from .protocol import Create, Join, Leave, ProtocolError, Signal


class WebSocketConnection:
    """The hub's view of one socket. Sends to a socket that is going away are dropped:
    its own session notices the disconnect and tells the hub."""

    __slots__ = ("websocket",)

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket

    async def send(self, text: str) -> None:
        if self.websocket.application_state is not WebSocketState.CONNECTED:
            return
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await self.websocket.send_text(text)

    async def close_replaced(self) -> None:
        await self.send(protocol.encode(ProtocolError("replaced").frame()))
        if self.websocket.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, OSError):
                await self.websocket.close(status.WS_1008_POLICY_VIOLATION, "replaced")


async def serve_member(websocket: WebSocket, hub: InProcessHub, max_frame_bytes: int) -> None:
    await websocket.accept()
    conn = WebSocketConnection(websocket)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            try:
                await _handle(conn, hub, message, max_frame_bytes)
            except ProtocolError as error:
                await conn.send(protocol.encode(error.frame()))
    except WebSocketDisconnect:
        return
    finally:
        await hub.disconnect(conn)


async def _handle(
    conn: WebSocketConnection, hub: InProcessHub, message: dict, max_frame_bytes: int
) -> None:
    text = message.get("text")
    if text is None:
        raise ProtocolError("binary-frame")
    frame = text.encode()
    if len(frame) > max_frame_bytes:
        raise ProtocolError("too-large", f"{len(frame)} bytes, limit {max_frame_bytes}")
    request = protocol.decode(frame)
    if isinstance(request, Signal):
        await hub.relay(conn, request.data)
    elif isinstance(request, Join):
        await hub.join(conn, request.room, request.resume)
    elif isinstance(request, Create):
        await hub.create(conn)
    elif isinstance(request, Leave):
        await hub.leave(conn)
