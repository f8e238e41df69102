"""A real uvicorn on loopback per test, and a small blocking WebSocket client for it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import pytest
import uvicorn
from websockets.sync.client import ClientConnection, connect

from signaling.app import create_app
from signaling.config import Settings
from signaling.server import uvicorn_options
from tests.loopback import free_port


@contextmanager
def running_server(settings: Settings) -> Iterator[str]:
    """Serve create_app(settings) on loopback in a thread; yield the ws:// URL."""
    port = free_port()
    options = {**uvicorn_options(settings), "host": "127.0.0.1", "port": port}
    config = uvicorn.Config(create_app(settings), **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class Member:
    """One browser tab's signaling socket, as a test drives it."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket

    def send(self, message: dict | str | bytes) -> None:
        self.socket.send(message if isinstance(message, (str, bytes)) else json.dumps(message))

    def recv_text(self, timeout: float = 5) -> str:
        frame = self.socket.recv(timeout=timeout)
        assert isinstance(frame, str), f"expected a text frame, got {frame!r}"
        return frame

    def recv(self, timeout: float = 5) -> dict:
        return json.loads(self.recv_text(timeout))

    def expect(self, type_: str, **fields: object) -> dict:
        message = self.recv()
        assert message["type"] == type_, message
        for name, value in fields.items():
            assert message[name] == value, message
        return message

    def expect_error(self, code: str) -> dict:
        return self.expect("error", code=code)

    def expect_silence(self, seconds: float = 0.3) -> None:
        try:
            frame = self.socket.recv(timeout=seconds)
        except TimeoutError:
            return
        raise AssertionError(f"expected no frame, got {frame!r}")

    def create(self) -> dict:
        self.send({"type": "create"})
        return self.expect("joined")

    def join(self, room: str, resume: str | None = None) -> dict:
        self.send({"type": "join", "room": room, **({"resume": resume} if resume else {})})
        return self.recv()

    def close(self) -> None:
        self.socket.close()


def member_at(sockets: ExitStack, ws_url: str) -> Member:
    """A member on `ws_url`, closed when `sockets` closes."""
    return Member(sockets.enter_context(connect(ws_url, max_size=None, open_timeout=5)))


@pytest.fixture
def settings() -> Settings:
    """Defaults with short timers, so grace and expiry can be observed in a test."""
    return Settings(seat_grace=0.5, empty_room_ttl=1.0)


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    with running_server(settings) as url:
        yield url


@pytest.fixture
def connect_member(server: str) -> Iterator[Callable[[], Member]]:
    with ExitStack() as sockets:

        def open_member() -> Member:
            return member_at(sockets, f"{server}/ws")

        yield open_member
