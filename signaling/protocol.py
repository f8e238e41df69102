"""Frame shapes and error codes of the signaling protocol (docs/protocol.md describes them)."""

from __future__ import annotations

import math
from typing import Any

import msgspec

# --- client → server -------------------------------------------------------------------


class Create(msgspec.Struct, tag="create", tag_field="type", forbid_unknown_fields=True):
    pass


class Join(msgspec.Struct, tag="join", tag_field="type", forbid_unknown_fields=True):
    room: str
    resume: str | None = None


class Signal(msgspec.Struct, tag="signal", tag_field="type", forbid_unknown_fields=True):
    # Raw keeps the payload's bytes as sent, so it is forwarded without re-encoding.
    data: msgspec.Raw


class Leave(msgspec.Struct, tag="leave", tag_field="type", forbid_unknown_fields=True):
    pass


ClientMessage = Create | Join | Signal | Leave
CLIENT_TYPES = frozenset({"create", "join", "signal", "leave"})

# --- server → client -------------------------------------------------------------------


class Joined(msgspec.Struct, tag="joined", tag_field="type"):
    room: str
    polite: bool
    peer_present: bool
    resume: str
    resumed: bool
    ice_servers: list[dict[str, Any]]


class PeerJoined(msgspec.Struct, tag="peer-joined", tag_field="type"):
    resumed: bool


class PeerLeft(msgspec.Struct, tag="peer-left", tag_field="type"):
    pass


class Relayed(msgspec.Struct, tag="signal", tag_field="type"):
    data: msgspec.Raw


class IceServers(msgspec.Struct, tag="ice-servers", tag_field="type"):
    ice_servers: list[dict[str, Any]]


class Error(msgspec.Struct, tag="error", tag_field="type", omit_defaults=True):
    code: str
    message: str
    retry_after: float | None = None  # seconds, with `rate-limited`


# --- errors ----------------------------------------------------------------------------

# One sentence per code, written for the person in front of the browser.
ERROR_MESSAGES = {
    "bad-json": "The app sent something that is not valid JSON.",
    "bad-message": "The app sent a message this server does not understand.",
    "unknown-type": "The app sent a kind of message this server does not know.",
    "too-large": "The app sent a message that is too large.",
    "binary-frame": "The app sent binary data; only text messages are accepted.",
    "not-in-room": "Join a meeting first.",
    "already-in-room": "You are already in a meeting; leave it first.",
    "bad-room-code": "That is not a meeting code. Codes look like abcd-efgh-jkmn.",
    "room-not-found": "This meeting does not exist or has expired.",
    "room-full": "This meeting already has two people in it.",
    "room-restoring": "This meeting is being restored after a server restart. Try again soon.",
    "replaced": "This meeting was opened again in another tab or window.",
    "rate-limited": "Too many attempts from your network. Try again in a little while.",
    "too-many-connections": "Too many open connections from your network.",
    "idle": "Closed after a while without joining a meeting.",
    "unavailable": "The service is briefly unavailable. Reconnect in a moment.",
    "hosts-only": "Only hosts of this server can start meetings — sign in.",
}


class ProtocolError(Exception):
    """A request that gets an `error` frame back; the connection stays usable."""

    def __init__(self, code: str, detail: str = "", retry_after: float | None = None) -> None:
        assert code in ERROR_MESSAGES, code
        super().__init__(code)
        self.code = code
        self.detail = detail
        self.retry_after = retry_after

    def frame(self) -> Error:
        message = ERROR_MESSAGES[self.code]
        message = f"{message} ({self.detail})" if self.detail else message
        # Rounded up: a client that waits this long is let through.
        retry_after = None if self.retry_after is None else math.ceil(self.retry_after * 10) / 10
        return Error(self.code, message, retry_after)


_decoder: msgspec.json.Decoder[ClientMessage] = msgspec.json.Decoder(ClientMessage)
_encoder = msgspec.json.Encoder()


def decode(frame: bytes) -> ClientMessage:
    """Parse one client frame, raising ProtocolError with the code that fits what is wrong."""
    try:
        return _decoder.decode(frame)
    except msgspec.ValidationError as invalid:
        raise _classify(frame, invalid) from None
    except msgspec.DecodeError:
        raise ProtocolError("bad-json") from None


def _classify(frame: bytes, invalid: msgspec.ValidationError) -> ProtocolError:
    # Only on the error path: look again to tell an unknown type from a wrong shape.
    try:
        value = msgspec.json.decode(frame)
    # A wrong type can be seen before the bad bytes: `0\x00`, or `"\x80"` (not UTF-8).
    except (msgspec.DecodeError, UnicodeDecodeError):
        return ProtocolError("bad-json")
    kind = value.get("type") if isinstance(value, dict) else None
    if isinstance(kind, str) and kind not in CLIENT_TYPES:
        return ProtocolError("unknown-type", repr(kind)[:64])
    return ProtocolError("bad-message", str(invalid))


def encode(message: msgspec.Struct) -> str:
    return _encoder.encode(message).decode()
