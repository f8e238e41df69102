"""Just enough of STUN/TURN (RFC 5389, RFC 5766) to ask a TURN server for an allocation,
and for permissions to relay to a peer (IPv4 or IPv6)."""

from __future__ import annotations

import hashlib
import hmac
import os
import socket
import ssl
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

MAGIC_COOKIE = 0x2112A442
ALLOCATE_REQUEST = 0x0003
ALLOCATE_SUCCESS = 0x0103
ALLOCATE_ERROR = 0x0113
REFRESH_REQUEST = 0x0004
CREATE_PERMISSION_REQUEST = 0x0008
CREATE_PERMISSION_SUCCESS = 0x0108
CREATE_PERMISSION_ERROR = 0x0118
SEND_INDICATION = 0x0016
USERNAME = 0x0006
MESSAGE_INTEGRITY = 0x0008
ERROR_CODE = 0x0009
LIFETIME = 0x000D
XOR_PEER_ADDRESS = 0x0012
DATA = 0x0013
REALM = 0x0014
NONCE = 0x0015
XOR_RELAYED_ADDRESS = 0x0016
REQUESTED_ADDRESS_FAMILY = 0x0017
REQUESTED_TRANSPORT = 0x0019
UDP = 17


@dataclass(frozen=True)
class Reply:
    kind: int
    attributes: dict[int, bytes]
    transaction: bytes = b""

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

    @property
    def relayed_endpoint(self) -> tuple[str, int] | None:
        """The XOR-RELAYED-ADDRESS as (address, port), IPv4 or IPv6."""
        value = self.attributes.get(XOR_RELAYED_ADDRESS)
        return None if value is None else unxor_address(value, self.transaction)


def attribute(kind: int, value: bytes) -> bytes:
    padding = b"\0" * (-len(value) % 4)
    return struct.pack("!HH", kind, len(value)) + value + padding


def message(
    kind: int, attributes: bytes, key: bytes | None = None, transaction: bytes | None = None
) -> bytes:
    transaction = transaction or os.urandom(12)
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
    return Reply(kind, attributes, data[8:20])


def exchange(sock: socket.socket | TlsStream, request: bytes) -> Reply:
    for _ in range(4):
        sock.send(request)
        try:
            return parse(sock.recv(2048))
        except TimeoutError:
            continue
    raise TimeoutError("no answer from the TURN server")


def allocate(
    address: str, port: int, username: str, password: str, tls_name: str | None = None
) -> Reply:
    """Allocate a UDP relay with long-term credentials (over TLS asking for tls_name when
    given); frees it again when it succeeded."""
    with allocation(address, port, username, password, tls_name=tls_name) as granted:
        return granted.reply


def xor_address(address: str, port: int, transaction: bytes) -> bytes:
    """The value of an XOR-PEER-ADDRESS (or XOR-RELAYED-ADDRESS) for an IPv4 or IPv6 peer."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    packed = socket.inet_pton(family, address)
    mask = struct.pack("!I", MAGIC_COOKIE) + transaction  # IPv4 uses the first 4 bytes only
    xored = bytes(byte ^ key for byte, key in zip(packed, mask[: len(packed)], strict=True))
    code = 0x02 if family == socket.AF_INET6 else 0x01
    return struct.pack("!BBH", 0, code, port ^ (MAGIC_COOKIE >> 16)) + xored


def unxor_address(value: bytes, transaction: bytes) -> tuple[str, int]:
    """(address, port) from the value of an XOR-...-ADDRESS attribute."""
    family = socket.AF_INET6 if value[1] == 0x02 else socket.AF_INET
    port = struct.unpack("!H", value[2:4])[0] ^ (MAGIC_COOKIE >> 16)
    mask = struct.pack("!I", MAGIC_COOKIE) + transaction
    packed = bytes(byte ^ key for byte, key in zip(value[4:], mask[: len(value) - 4], strict=True))
    return socket.inet_ntop(family, packed), port


@dataclass
class Allocation:
    """An allocation attempt on a connected UDP socket; `reply` says whether it was granted."""

    sock: socket.socket | TlsStream
    reply: Reply
    key: bytes = b""
    signed: bytes = b""  # USERNAME, REALM and NONCE, for every further request

    @property
    def granted(self) -> bool:
        return self.reply.kind == ALLOCATE_SUCCESS

    def create_permission(self, peer: str, port: int = 0) -> Reply:
        """Ask to relay to (and from) peer; a server refusing the peer answers 403."""
        transaction = os.urandom(12)
        peer_address = attribute(XOR_PEER_ADDRESS, xor_address(peer, port, transaction))
        request = message(
            CREATE_PERMISSION_REQUEST, peer_address + self.signed, self.key, transaction
        )
        return exchange(self.sock, request)

    def send(self, peer: str, port: int, data: bytes) -> None:
        """A Send indication: the server relays data to peer if a permission allows it."""
        transaction = os.urandom(12)
        attributes = attribute(XOR_PEER_ADDRESS, xor_address(peer, port, transaction))
        self.sock.send(
            message(SEND_INDICATION, attributes + attribute(DATA, data), None, transaction)
        )


class TlsStream:
    """STUN over TLS (RFC 5389 section 7.2.2): whole messages written to and read from one
    TLS connection, with the send()/recv() of a connected UDP socket."""

    def __init__(self, sock: ssl.SSLSocket) -> None:
        self.sock = sock

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def recv(self, _size: int) -> bytes:
        header = self._read(20)
        return header + self._read(struct.unpack("!H", header[2:4])[0])

    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("the TURN server closed the TLS connection")
            data += chunk
        return data


@contextmanager
def connected(address: str, port: int, tls_name: str | None = None) -> Iterator:
    """A UDP socket connected to the TURN server, or with tls_name a TLS connection that
    asks for that name in its ClientHello (SNI); the certificate is checked elsewhere."""
    if tls_name is None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(2)
            sock.connect((address, port))
            yield sock
        return
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((address, port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=tls_name) as sock,
    ):
        yield TlsStream(sock)


@contextmanager
def allocation(
    address: str,
    port: int,
    username: str,
    password: str,
    relay_family: int = socket.AF_INET,
    tls_name: str | None = None,
) -> Iterator[Allocation]:
    """Allocate a UDP relay with long-term credentials, keep it while the block runs, then
    free it (when it was granted). relay_family=AF_INET6 asks for an IPv6 relayed address;
    tls_name talks TURN over TLS, asking for that server name (e.g. TURN on 443)."""
    transport = attribute(REQUESTED_TRANSPORT, bytes([UDP, 0, 0, 0]))
    if relay_family == socket.AF_INET6:
        transport += attribute(REQUESTED_ADDRESS_FAMILY, bytes([0x02, 0, 0, 0]))
    with connected(address, port, tls_name) as sock:
        challenge = exchange(sock, message(ALLOCATE_REQUEST, transport))
        if challenge.error_code != 401:
            yield Allocation(sock, challenge)
            return
        realm, nonce = challenge.attributes[REALM], challenge.attributes[NONCE]
        key = hashlib.md5(f"{username}:{realm.decode()}:{password}".encode()).digest()
        signed = (
            attribute(USERNAME, username.encode())
            + attribute(REALM, realm)
            + attribute(NONCE, nonce)
        )
        reply = exchange(sock, message(ALLOCATE_REQUEST, transport + signed, key))
        try:
            yield Allocation(sock, reply, key, signed)
        finally:
            if reply.kind == ALLOCATE_SUCCESS:
                exchange(
                    sock, message(REFRESH_REQUEST, attribute(LIFETIME, bytes(4)) + signed, key)
                )
