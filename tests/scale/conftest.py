"""Several signaling instances, each `python -m signaling` as in production, sharing rooms
through a real redis-server on loopback (one per test, so each starts empty)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from tests.loopback import Server, redis_server, signaling_server
from tests.service.conftest import Member, member_at

# Short timers, so grace periods can be watched; limits that 200 sockets from one address
# would otherwise hit.
FAST = {
    "VISAVIS_SEAT_GRACE": "3",
    "VISAVIS_EMPTY_ROOM_TTL": "30",
    "VISAVIS_CONNECTIONS_PER_IP": "1000",
    "VISAVIS_FAILED_JOINS_PER_MINUTE": "100000",
}


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: `make test` installs it with apt-get")
    with redis_server(tmp_path) as redis_process:
        yield redis_process.url


@contextmanager
def instances(
    workdir: Path, broker: str, count: int = 2, env: dict[str, str] | None = None, **options
) -> Iterator[list[Server]]:
    """`count` signaling instances on one Redis."""
    with ExitStack() as stack:
        yield [
            stack.enter_context(
                signaling_server(workdir, broker=broker, env={**FAST, **(env or {})}, **options)
            )
            for _ in range(count)
        ]


@pytest.fixture
def connect_to() -> Iterator[Callable[[Server], Member]]:
    """A member connected to one given instance."""
    with ExitStack() as sockets:
        yield lambda server: member_at(sockets, server.ws_url)
