"""A test-only man-in-the-middle: alters DTLS fingerprints in relayed SDP.

Enabled by VISAVIS_TEST_TAMPER_FINGERPRINT=true (off by default) so the browser test can show
that the verification codes of the two people differ when the signaling server lies. The
session applies it to `signal` payloads before they reach the hub (session.handle_frame)."""

from __future__ import annotations

import re

import msgspec

_FINGERPRINT = re.compile(rb"(a=fingerprint:\S+ )([0-9A-Fa-f])")


def _flip(match: re.Match[bytes]) -> bytes:
    digit = match.group(2)
    return match.group(1) + (b"0" if digit != b"0" else b"1")


def tamper_fingerprints(data: msgspec.Raw) -> msgspec.Raw:
    """`data` (a relayed `signal` payload) with the first hex digit of each DTLS fingerprint
    changed; anything without a fingerprint is returned as it was."""
    return msgspec.Raw(_FINGERPRINT.sub(_flip, bytes(data)))
