"""Rooms of two seats, their codes and resume tokens. Pure bookkeeping: no I/O, no clocks."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .protocol import ProtocolError

# 23 letters: no i, l or o, which people confuse with 1, I and 0 when reading a code aloud.
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz"
CODE_GROUPS = (4, 4, 4)  # 12 letters: 23**12 ≈ 2**54
CODE_LENGTH = sum(CODE_GROUPS)
_CODE_LETTERS = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
_SEPARATORS = re.compile(r"[\s\-_.]+")

ROLES = (False, True)  # `polite` of the first seat taken (the creator's), then of the second


def new_room_code() -> str:
    return _grouped("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))


def _grouped(letters: str) -> str:
    groups, start = [], 0
    for size in CODE_GROUPS:
        groups.append(letters[start : start + size])
        start += size
    return "-".join(groups)


def parse_room_code(text: str) -> str | None:
    """Canonical `abcd-efgh-jkmn` from a code in any case, with or without dashes, or a link."""
    text = text.strip()
    if "/" in text or "?" in text:
        text = _code_from_link(text)
    letters = _SEPARATORS.sub("", text.lower())
    return _grouped(letters) if _CODE_LETTERS.fullmatch(letters) else None


def _code_from_link(link: str) -> str:
    parts = urlsplit(link if "//" in link or link.startswith("/") else "//" + link)
    room = parse_qs(parts.query).get("room")
    if room:
        return room[0]
    segments = [segment for segment in parts.path.split("/") if segment]
    return segments[-1] if segments else ""


def new_resume_token() -> str:
    return secrets.token_urlsafe(16)


@dataclass(eq=False)
class Seat:
    polite: bool
    resume_token: str
    member: Any  # the live connection, or None while the seat waits out its grace period
    grace_timer: Any = None  # set by the hub while member is None

    @property
    def live(self) -> bool:
        return self.member is not None


@dataclass(eq=False)
class Room:
    code: str
    seats: list[Seat] = field(default_factory=list)
    expiry_timer: Any = None  # set by the hub while the room has no seats

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
    replaced: Any = None  # the connection that held the seat before a resume, if still live


class RoomRegistry:
    """All rooms of one process. Each method runs without awaiting, so it is atomic."""

    def __init__(self) -> None:
        self.rooms: dict[str, Room] = {}

    def create(self, member: Any) -> JoinOutcome:
        code = new_room_code()
        while code in self.rooms:
            code = new_room_code()
        room = self.rooms[code] = Room(code)
        return JoinOutcome(room, self._take_seat(room, member), resumed=False)

    def join(self, code_text: str, member: Any, resume: str | None) -> JoinOutcome:
        code = parse_room_code(code_text)
        if code is None:
            raise ProtocolError("bad-room-code")
        room = self.rooms.get(code)
        if room is None:
            raise ProtocolError("room-not-found")
        seat = room.seat_for_token(resume)
        if seat is not None:
            replaced, seat.member = seat.member, member
            return JoinOutcome(room, seat, resumed=True, replaced=replaced)
        if len(room.seats) >= len(ROLES):
            raise ProtocolError("room-full")
        return JoinOutcome(room, self._take_seat(room, member), resumed=False)

    def release(self, room: Room, seat: Seat) -> None:
        """Free a seat; the room stays (empty) until the hub's expiry timer forgets it."""
        room.seats.remove(seat)

    def forget(self, room: Room) -> None:
        if not room.seats and self.rooms.get(room.code) is room:
            del self.rooms[room.code]

    @staticmethod
    def _take_seat(room: Room, member: Any) -> Seat:
        taken = {seat.polite for seat in room.seats}
        polite = next(role for role in ROLES if role not in taken)
        seat = Seat(polite=polite, resume_token=new_resume_token(), member=member)
        room.seats.append(seat)
        return seat
