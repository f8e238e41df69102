"""Rooms of two seats, their codes and resume tokens. Pure bookkeeping: no I/O, no clocks."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from .hub import Connection
from .protocol import ProtocolError

# 23 letters: no i, l or o, which people confuse with 1, I and 0 when reading a code aloud.
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz"
CODE_GROUPS = (4, 4, 4)  # 12 letters: 23**12 ≈ 2**54
CODE_LENGTH = sum(CODE_GROUPS)
_CODE_LETTERS = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
_SEPARATORS = re.compile(r"[\s\-_.]+")
# What other apps put into a pasted code (frontend/js/codes.js has the same rules): every
# dash-like character (and the minus sign) is a separator, invisible format characters
# (soft hyphen, zero-width spaces and joiners, byte order mark) are nothing, and quotes,
# brackets and sentence punctuation around it are not part of it.
_WRAPPING_CATEGORIES = frozenset({"Ps", "Pe", "Pi", "Pf"})
_WRAPPING_LEADING = frozenset("<>\"'.,;:!*")
_WRAPPING_TRAILING = _WRAPPING_LEADING | {"?"}

ROLES = (False, True)  # `polite` of the first seat taken (the creator's), then of the second
ROOM_STATES = ("empty", "waiting", "in-call", "reconnecting")


def new_room_code() -> str:
    """A fresh random code, `abcd-efgh-jkmn` style, from `secrets` (≈ 54 bits)."""
    return _grouped("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))


def _grouped(letters: str) -> str:
    groups, start = [], 0
    for size in CODE_GROUPS:
        groups.append(letters[start : start + size])
        start += size
    return "-".join(groups)


def parse_room_code(text: str) -> str | None:
    """Canonical `abcd-efgh-jkmn` from a code in any case, with or without separators, or a
    link to it (path or `?room=`); None for anything else."""
    text = normalize_code_text(text)
    if "/" in text or "?" in text:
        text = normalize_code_text(_code_from_link(text))  # %E2%80%93 is a dash too
    letters = _SEPARATORS.sub("", text.lower())
    return _grouped(letters) if _CODE_LETTERS.fullmatch(letters) else None


def normalize_code_text(text: str) -> str:
    """Pasted text as people mean it: Unicode NFKC (full-width letters become ASCII), dashes
    as '-', invisible characters dropped, surrounding punctuation trimmed."""
    kept = []
    for char in unicodedata.normalize("NFKC", text):
        category = unicodedata.category(char)
        if category == "Cf":
            continue
        kept.append("-" if category == "Pd" or char == "\u2212" else char)
    start, end = 0, len(kept)
    while start < end and _wrapping(kept[start], _WRAPPING_LEADING):
        start += 1
    while end > start and _wrapping(kept[end - 1], _WRAPPING_TRAILING):
        end -= 1
    return "".join(kept[start:end])


def _wrapping(char: str, punctuation: frozenset[str]) -> bool:
    return (
        char.isspace()
        or char in punctuation
        or unicodedata.category(char) in (_WRAPPING_CATEGORIES)
    )


def _code_from_link(link: str) -> str:
    try:
        parts = urlsplit(link if "//" in link or link.startswith("/") else "//" + link)
    except ValueError:  # e.g. an unbalanced "[" read as an IPv6 host
        return ""
    room = parse_qs(parts.query).get("room")
    if room:
        return room[0]
    segments = [segment for segment in parts.path.split("/") if segment]
    return unquote(segments[-1]) if segments else ""


class ResumeTokens:
    """Resume tokens signed with the server's secret: `<role>.<nonce>.<mac>` bound to the room.

    While a room exists, a token must also match its seat exactly (a released seat's token is
    void). After a restart the rooms are gone, but a signed token still proves which seat of
    which room its holder had, so the seat can be given back."""

    def __init__(self, secret: str) -> None:
        """`secret` signs the tokens; empty: a random one (tokens die with the process)."""
        self._key = secret.encode() if secret else secrets.token_bytes(32)

    def issue(self, code: str, polite: bool) -> str:
        """A fresh token for the seat `polite` of room `code`."""
        payload = f"{int(polite)}.{secrets.token_urlsafe(12)}"
        return f"{payload}.{self._mac(code, payload)}"

    def role(self, code: str, token: str) -> bool | None:
        """The seat's `polite` if the token is genuine for this room, else None."""
        payload, _, mac = token.rpartition(".")
        if payload[:2] not in ("0.", "1.") or not secrets.compare_digest(
            mac, self._mac(code, payload)
        ):
            return None
        return payload[0] == "1"

    def _mac(self, code: str, payload: str) -> str:
        digest = hmac.new(self._key, f"{code}|{payload}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()


def count_room_states(rooms: Iterable[Sequence[bool]]) -> dict[str, int]:
    """Rooms by state, every state of ROOM_STATES a key. Each room is given as one flag per
    taken seat: True while its holder is connected, False while the seat waits out its grace
    period."""
    counts = dict.fromkeys(ROOM_STATES, 0)
    for live in rooms:
        if not live:
            counts["empty"] += 1
        elif not all(live):
            counts["reconnecting"] += 1
        elif len(live) == 1:
            counts["waiting"] += 1
        else:
            counts["in-call"] += 1
    return counts


@dataclass(eq=False)
class Seat:
    polite: bool
    resume_token: str
    member: Connection | None  # None while the seat waits out its grace period
    grace_timer: asyncio.TimerHandle | None = None  # set by the hub while member is None


@dataclass(eq=False)
class Room:
    code: str
    seats: list[Seat] = field(default_factory=list)
    expiry_timer: asyncio.TimerHandle | None = None  # set by the hub while the room has no seats
    # Rebuilt from a resume token after a restart: the other seat waits for its own token
    # holder until the hub ends the restoration (a newcomer must not take it meanwhile).
    restoring: bool = False

    def other(self, seat: Seat) -> Seat | None:
        return next((other for other in self.seats if other is not seat), None)

    def seat_for_token(self, token: str | None) -> Seat | None:
        if not token:
            return None
        return next((s for s in self.seats if secrets.compare_digest(s.resume_token, token)), None)


@dataclass
class JoinOutcome:
    room: Room
    seat: Seat
    resumed: bool
    replaced: Connection | None = None  # held the seat before a resume, if still connected


class RoomRegistry:
    """All rooms of one process. Each method runs without awaiting, so it is atomic."""

    def __init__(self, resume_secret: str = "") -> None:
        self.rooms: dict[str, Room] = {}
        self.tokens = ResumeTokens(resume_secret)

    def create(self, member: Connection) -> JoinOutcome:
        """A room with a fresh code, `member` in its first (impolite) seat."""
        code = new_room_code()
        while code in self.rooms:
            code = new_room_code()
        room = self.rooms[code] = Room(code)
        return JoinOutcome(room, self._take_seat(room, member), resumed=False)

    def join(
        self, code_text: str, member: Connection, resume: str | None, restore: bool = False
    ) -> JoinOutcome:
        """Seat `member` in the room `code_text` names: the seat `resume` was issued for if it
        is still that seat's, else a free one. `restore` lets a genuine resume token rebuild a
        room this process does not know (it was restarted): the room then keeps its other
        seat for that seat's token (`Room.restoring`) until the hub ends the restoration.

        Raises ProtocolError: `bad-room-code`, `room-not-found`, `room-full`, or
        `room-restoring` (a newcomer while the room waits for its other token holder)."""
        code = parse_room_code(code_text)
        if code is None:
            raise ProtocolError("bad-room-code")
        room = self.rooms.get(code)
        if room is None and restore and resume and self.tokens.role(code, resume) is not None:
            room = self.rooms[code] = Room(code, restoring=True)
        if room is None:
            raise ProtocolError("room-not-found")
        seat = room.seat_for_token(resume)
        if seat is not None:
            replaced, seat.member = seat.member, member
            return JoinOutcome(room, seat, resumed=True, replaced=replaced)
        if room.restoring:
            return self._restore_seat(room, member, resume)
        if len(room.seats) >= len(ROLES):
            raise ProtocolError("room-full")
        return JoinOutcome(room, self._take_seat(room, member), resumed=False)

    def _restore_seat(self, room: Room, member: Connection, resume: str | None) -> JoinOutcome:
        polite = self.tokens.role(room.code, resume) if resume else None
        if polite is None or any(seat.polite == polite for seat in room.seats):
            raise ProtocolError("room-restoring")
        assert resume is not None
        seat = Seat(polite=polite, resume_token=resume, member=member)
        room.seats.append(seat)
        if len(room.seats) == len(ROLES):
            room.restoring = False
        return JoinOutcome(room, seat, resumed=True)

    def release(self, room: Room, seat: Seat) -> None:
        """Free a seat; the room stays (empty) until the hub's expiry timer forgets it."""
        room.seats.remove(seat)

    def forget(self, room: Room) -> bool:
        """Drop `room` if it has no seats and is still this registry's; True if dropped."""
        if not room.seats and self.rooms.get(room.code) is room:
            del self.rooms[room.code]
            return True
        return False

    def _take_seat(self, room: Room, member: Connection) -> Seat:
        taken = {seat.polite for seat in room.seats}
        polite = next(role for role in ROLES if role not in taken)
        seat = Seat(polite=polite, resume_token=self.tokens.issue(room.code, polite), member=member)
        room.seats.append(seat)
        return seat
