"""A WebSocket client on a bare TCP socket, for clients that misbehave on purpose: one that
never reads (a slow reader) or never answers pings."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
from urllib.parse import urlsplit


class RawWebSocket:
    def __init__(self, ws_url: str, receive_buffer: int | None = None) -> None:
        parts = urlsplit(ws_url)
        self.sock = socket.socket()
        if receive_buffer:
            # Set before connecting, so the kernel window stays this small.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.connect((parts.hostname, parts.port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(1)  # byte by byte: leave any frame after it unread
            assert chunk, "closed during the handshake"
            response += chunk
        assert response.startswith(b"HTTP/1.1 101"), response

    def send_json(self, message: dict) -> None:
        payload = json.dumps(message).encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def read_until_closed(self, timeout: float) -> bytes:
        """Everything the server sent, up to its closing the connection (or the timeout)."""
        self.sock.settimeout(timeout)
        received = b""
        try:
            while chunk := self.sock.recv(65536):
                received += chunk
        except TimeoutError:
            raise AssertionError(f"still open after {timeout} s") from None
        except ConnectionResetError:
            pass
        return received

    def close(self) -> None:
        self.sock.close()
