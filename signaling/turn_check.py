"""Whether the TURN relays grant allocations: a real Allocate request (RFC 5766) over UDP to
each `turn:` URL browsers are given, with credentials made as theirs are, released at once;
for the metrics. Debian's coturn exports no metrics of its own, so this is how a refused
relay (a secret coturn does not share, its quota reached) is seen."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import struct
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from .logs import event
from .metrics import Metrics

MAGIC_COOKIE = 0x2112A442
ALLOCATE, ALLOCATE_SUCCESS, REFRESH = 0x0003, 0x0103, 0x0004
USERNAME, MESSAGE_INTEGRITY, ERROR_CODE = 0x0006, 0x0008, 0x0009
LIFETIME, REALM, NONCE, REQUESTED_TRANSPORT = 0x000D, 0x0014, 0x0015, 0x0019
UDP = 17
DEFAULT_PORT = 3478
TRIES, TRY_TIMEOUT = 3, 2.0  # a lost datagram is sent again; seconds per try


def udp_targets(turn_urls: tuple[str, ...]) -> list[tuple[str, str, int]]:
    """(url, host, port) of each `turn:` URL browsers reach over UDP (no transport, or
    `?transport=udp`); `turns:` and TCP ones are left out."""
    found = []
    for url in turn_urls:
        scheme, _, rest = url.partition(":")
        address, _, query = rest.partition("?")
        transport = parse_qs(query).get("transport", ["udp"])[0]
        if scheme != "turn" or transport != "udp":
            continue
        parts = urlsplit(f"//{address}")
        if parts.hostname:
            found.append((url, parts.hostname, parts.port or DEFAULT_PORT))
    return found


def _attribute(kind: int, value: bytes) -> bytes:
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def _message(kind: int, attributes: bytes, key: bytes | None = None) -> bytes:
    transaction = os.urandom(12)
    if key is None:
        return struct.pack("!HHI", kind, len(attributes), MAGIC_COOKIE) + transaction + attributes
    # MESSAGE-INTEGRITY covers the header with a length that already counts its 24 bytes.
    header = struct.pack("!HHI", kind, len(attributes) + 24, MAGIC_COOKIE) + transaction
    digest = hmac.new(key, header + attributes, hashlib.sha1).digest()
    return header + attributes + _attribute(MESSAGE_INTEGRITY, digest)


def _parse(data: bytes) -> tuple[int, dict[int, bytes]]:
    """(message type, attributes by type) of a STUN message; ValueError if it is not one."""
    if len(data) < 20:
        raise ValueError("short STUN message")
    kind, length, cookie = struct.unpack("!HHI", data[:8])
    if cookie != MAGIC_COOKIE:
        raise ValueError("not a STUN message")
    attributes: dict[int, bytes] = {}
    offset = 20
    while offset + 4 <= min(len(data), 20 + length):
        name, size = struct.unpack("!HH", data[offset : offset + 4])
        attributes.setdefault(name, data[offset + 4 : offset + 4 + size])
        offset += 4 + size + (-size % 4)
    return kind, attributes


def _error_code(attributes: dict[int, bytes]) -> int:
    value = attributes.get(ERROR_CODE, b"\0\0\0\0")
    return (value[2] & 0x7) * 100 + value[3]


class _Replies(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: object) -> None:
        self.queue.put_nowait(data)


async def _exchange(
    transport: asyncio.DatagramTransport, replies: _Replies, request: bytes
) -> tuple[int, dict[int, bytes]]:
    """Send `request` (again, up to TRIES times) until its answer comes: the reply with the
    same transaction id (a late answer to an earlier request is skipped)."""
    transaction = request[8:20]
    loop = asyncio.get_running_loop()
    for _ in range(TRIES):
        transport.sendto(request)
        deadline = loop.time() + TRY_TIMEOUT
        with contextlib.suppress(TimeoutError):
            while True:
                data = await asyncio.wait_for(replies.queue.get(), deadline - loop.time())
                if data[8:20] == transaction:
                    return _parse(data)
    raise TimeoutError("no answer")


async def allocate(host: str, port: int, username: str, password: str) -> int:
    """Ask `host:port` for a UDP relay with long-term credentials and release it at once.

    Returns 0 if it was granted, else the STUN error code of the refusal (401 wrong
    credentials, 486 quota reached, 508 no capacity...). Raises OSError (unreachable),
    TimeoutError (no answer to TRIES datagrams) or ValueError (an answer that is not STUN)."""
    loop = asyncio.get_running_loop()
    transport, replies = await loop.create_datagram_endpoint(_Replies, remote_addr=(host, port))
    try:
        udp = _attribute(REQUESTED_TRANSPORT, bytes([UDP, 0, 0, 0]))
        kind, attributes = await _exchange(transport, replies, _message(ALLOCATE, udp))
        if kind == ALLOCATE_SUCCESS or REALM not in attributes or NONCE not in attributes:
            return 0 if kind == ALLOCATE_SUCCESS else _error_code(attributes)
        realm, nonce = attributes[REALM], attributes[NONCE]
        key = hashlib.md5(f"{username}:{realm.decode()}:{password}".encode()).digest()
        signed = (
            _attribute(USERNAME, username.encode())
            + _attribute(REALM, realm)
            + _attribute(NONCE, nonce)
        )
        kind, attributes = await _exchange(
            transport, replies, _message(ALLOCATE, udp + signed, key)
        )
        if kind != ALLOCATE_SUCCESS:
            return _error_code(attributes)
        # Lifetime 0 releases it: a check never holds a relay port or a quota slot.
        release = _message(REFRESH, _attribute(LIFETIME, bytes(4)) + signed, key)
        with contextlib.suppress(TimeoutError, ValueError):
            await _exchange(transport, replies, release)
        return 0
    finally:
        transport.close()


async def check(
    targets: list[tuple[str, str, int]],
    credentials: Callable[[], tuple[str, str]],
    metrics: Metrics,
) -> None:
    """One allocation per target: `visavis_turn_allocation_success{url}` 1 or 0, and each
    refusal counted in `visavis_turn_allocation_refusals_total{url, reason}` (the STUN error
    code, or "no-answer"). Never raises."""
    for url, host, port in targets:
        username, password = credentials()
        try:
            code = await allocate(host, port, username, password)
            reason = str(code) if code else ""
        except (OSError, TimeoutError, ValueError):
            reason = "no-answer"
        metrics.turn_allocation_success.labels(url).set(0 if reason else 1)
        if reason:
            metrics.turn_allocation_refusals.labels(url, reason).inc()
            event("turn-allocation-refused", logging.WARNING, url=url, reason=reason)


async def watch(
    turn_urls: tuple[str, ...],
    credentials: Callable[[], tuple[str, str]],
    metrics: Metrics,
    interval: float,
) -> None:
    """`check` the UDP `turn:` URLs every `interval` seconds, until cancelled. `credentials`
    gives a fresh (username, password) for the TURN REST scheme."""
    targets = udp_targets(turn_urls)
    while True:
        await check(targets, credentials, metrics)
        await asyncio.sleep(interval)
