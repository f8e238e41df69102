"""A real uvicorn on loopback per test, and a small blocking WebSocket client for it.

Every test that takes a server runs twice: on the in-process hub and on the Redis hub (a
real redis-server on loopback, started once per session and emptied before each test)."""

from __future__ import annotations

import dataclasses
import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import pytest
import redis
import uvicorn
from websockets.sync.client import ClientConnection, connect

from signaling.app import create_app
from signaling.config import Settings
from signaling.server import uvicorn_options
from tests.loopback import free_port, redis_server

HUBS = ("in-process", "redis")


@contextmanager
def running_server(settings: Settings, broker: str | None = None) -> Iterator[str]:
    """Serve create_app(settings) on loopback in a thread; yield the ws:// URL. With
    `broker`, the server uses the Redis hub there."""
    if broker:
        settings = dataclasses.replace(settings, broker_url=broker)
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


def in_a_call(connect_member: Callable[[], Member]) -> tuple[Member, Member, str]:
    """Alice created a room and Bob joined it; Alice has heard so. Returns (alice, bob, room)."""
    alice, bob = connect_member(), connect_member()
    room = alice.create()["room"]
    bob.join(room)
    alice.expect("peer-joined")
    return alice, bob, room


def member_at(sockets: ExitStack, ws_url: str, headers: dict[str, str] | None = None) -> Member:
    """A member on `ws_url` (upgrade request with `headers`), closed when `sockets` closes."""
    socket = connect(ws_url, max_size=None, open_timeout=5, additional_headers=headers)
    return Member(sockets.enter_context(socket))


@pytest.fixture
def settings() -> Settings:
    """Defaults with short timers, so grace and expiry can be observed in a test."""
    return Settings(seat_grace=0.5, empty_room_ttl=1.0)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: `make test` installs it with apt-get")
    with redis_server(tmp_path_factory.mktemp("redis")) as redis_process:
        yield redis_process.url


def empty_redis(url: str) -> None:
    with redis.Redis.from_url(url) as client:
        client.flushall()


@pytest.fixture(params=HUBS)
def broker(request: pytest.FixtureRequest) -> str | None:
    """None for the in-process hub, or the URL of an empty Redis for the Redis hub."""
    if request.param == "in-process":
        return None
    url = request.getfixturevalue("redis_url")
    empty_redis(url)
    return url


@pytest.fixture
def server(settings: Settings, broker: str | None) -> Iterator[str]:
    with running_server(settings, broker) as url:
        yield url


@pytest.fixture
def connect_member(server: str) -> Iterator[Callable[[], Member]]:
    with ExitStack() as sockets:

        def open_member() -> Member:
            return member_at(sockets, f"{server}/ws")

        yield open_member
