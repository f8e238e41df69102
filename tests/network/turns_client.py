"""A TURN allocation over TLS (TURNS), with infra/verify's STUN messages: what a browser's
relay over `turns:` looks like to coturn, for tests that must see one survive a certificate
reload. Also the certificate a TURNS listener presents to a new connection."""

from __future__ import annotations

import hashlib
import socket
import ssl
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tests.templates import REPO

sys.path.insert(0, str(REPO / "infra/verify"))
import stun  # noqa: E402

REFRESH_SUCCESS = 0x0104
TCP_TIMEOUT = 5.0  # seconds for any one answer over the TLS stream


def _context() -> ssl.SSLContext:
    # The tests compare the certificate itself; who signed it does not matter here.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def served_certificate_sha256(address: str, port: int) -> str:
    """SHA-256 (hex) of the DER certificate a new TLS connection to (address, port) gets.
    Raises OSError when nothing answers."""
    with (
        socket.create_connection((address, port), timeout=TCP_TIMEOUT) as raw,
        _context().wrap_socket(raw) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return hashlib.sha256(der).hexdigest()


@contextmanager
def turns_allocation(
    address: str, port: int, username: str, password: str
) -> Iterator[stun.Allocation]:
    """Allocate a UDP relay over one TLS connection to a TURNS listener and keep it (and the
    connection) while the block runs; `granted` on the result says whether it was. Raises
    OSError when the connection fails, TimeoutError when coturn does not answer."""
    with (
        socket.create_connection((address, port), timeout=TCP_TIMEOUT) as raw,
        _context().wrap_socket(raw) as tls,
    ):
        tls.settimeout(TCP_TIMEOUT)
        transport = stun.attribute(stun.REQUESTED_TRANSPORT, bytes([stun.UDP, 0, 0, 0]))
        challenge = stun.exchange(tls, stun.message(stun.ALLOCATE_REQUEST, transport))
        realm, nonce = challenge.attributes[stun.REALM], challenge.attributes[stun.NONCE]
        key = hashlib.md5(f"{username}:{realm.decode()}:{password}".encode()).digest()
        signed = (
            stun.attribute(stun.USERNAME, username.encode())
            + stun.attribute(stun.REALM, realm)
            + stun.attribute(stun.NONCE, nonce)
        )
        reply = stun.exchange(tls, stun.message(stun.ALLOCATE_REQUEST, transport + signed, key))
        yield stun.Allocation(tls, reply, key, signed)  # type: ignore[arg-type]


def refresh(allocation: stun.Allocation, lifetime: int = 600) -> stun.Reply:
    """A Refresh request on the allocation's own connection: success means coturn still
    holds the allocation."""
    attributes = stun.attribute(stun.LIFETIME, lifetime.to_bytes(4, "big")) + allocation.signed
    request = stun.message(stun.REFRESH_REQUEST, attributes, allocation.key)
    return stun.exchange(allocation.sock, request)
