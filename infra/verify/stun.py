"""Just enough of STUN/TURN (RFC 5389, RFC 5766) to ask a TURN server for an allocation."""

from __future__ import annotations

import hashlib
import hmac
import os
import socket
import struct
from dataclasses import dataclass

MAGIC_COOKIE = 0x2112A442
ALLOCATE_REQUEST = 0x0003
ALLOCATE_SUCCESS = 0x0103
ALLOCATE_ERROR = 0x0113
REFRESH_REQUEST = 0x0004
USERNAME = 0x0006
MESSAGE_INTEGRITY = 0x0008
ERROR_CODE = 0x0009
LIFETIME = 0x000D
REALM = 0x0014
NONCE = 0x0015
XOR_RELAYED_ADDRESS = 0x0016
REQUESTED_TRANSPORT = 0x0019
UDP = 17


@dataclass(frozen=True)
class Reply:
    kind: int
    attributes: dict[int, bytes]

    @property
    def error_code(self) -> int | None:
        value = self.attributes.get(ERROR_CODE)
        return None if value is None else (value[2] & 0x7) * 100 + value[3]

    @property
    def relayed_address(self) -> str | None:
        value = self.attributes.get(XOR_RELAYED_ADDRESS)
        if value is None or value[1] != 0x01:
            return None
        port = struct.unpack("!H", value[2:4])[0] ^ (MAGIC_COOKIE >> 16)
        address = struct.unpack("!I", value[4:8])[0] ^ MAGIC_COOKIE
        return f"{socket.inet_ntoa(struct.pack('!I', address))}:{port}"


def attribute(kind: int, value: bytes) -> bytes:
    padding = b"\0" * (-len(value) % 4)
    return struct.pack("!HH", kind, len(value)) + value + padding


def message(kind: int, attributes: bytes, key: bytes | None = None) -> bytes:
    transaction = os.urandom(12)
    if key is None:
        return struct.pack("!HHI", kind, len(attributes), MAGIC_COOKIE) + transaction + attributes
    # MESSAGE-INTEGRITY covers the header with a length that already counts its own 24 bytes.
    header = struct.pack("!HHI", kind, len(attributes) + 24, MAGIC_COOKIE) + transaction
    digest = hmac.new(key, header + attributes, hashlib.sha1).digest()
    return header + attributes + attribute(MESSAGE_INTEGRITY, digest)


def parse(data: bytes) -> Reply:
    kind, length, cookie = struct.unpack("!HHI", data[:8])
    if cookie != MAGIC_COOKIE:
        raise ValueError("not a STUN message")
    attributes: dict[int, bytes] = {}
    offset = 20
    while offset + 4 <= 20 + length:
        name, size = struct.unpack("!HH", data[offset : offset + 4])
        attributes.setdefault(name, data[offset + 4 : offset + 4 + size])
        offset += 4 + size + (-size % 4)
    return Reply(kind, attributes)


def exchange(sock: socket.socket, request: bytes) -> Reply:
    for _ in range(4):
        sock.send(request)
        try:
            return parse(sock.recv(2048))
        except TimeoutError:
            continue
    raise TimeoutError("no answer from the TURN server")


def allocate(address: str, port: int, username: str, password: str) -> Reply:
    """Allocate a UDP relay with long-term credentials; frees it again when it succeeded."""
    transport = attribute(REQUESTED_TRANSPORT, bytes([UDP, 0, 0, 0]))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.connect((address, port))
        challenge = exchange(sock, message(ALLOCATE_REQUEST, transport))
        if challenge.error_code != 401:
            return challenge
        realm, nonce = challenge.attributes[REALM], challenge.attributes[NONCE]
        key = hashlib.md5(f"{username}:{realm.decode()}:{password}".encode()).digest()
        signed = (
            attribute(USERNAME, username.encode())
            + attribute(REALM, realm)
            + attribute(NONCE, nonce)
        )
        reply = exchange(sock, message(ALLOCATE_REQUEST, transport + signed, key))
        if reply.kind == ALLOCATE_SUCCESS:
            exchange(sock, message(REFRESH_REQUEST, attribute(LIFETIME, bytes(4)) + signed, key))
        return reply
