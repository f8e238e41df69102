"""The soak's churn: rooms created, joined and left one after the other, each on two fresh
sockets (bench/loadgen.py's client), with what the clients saw counted."""

from __future__ import annotations

import asyncio
import json
import struct
import time
from collections import Counter
from dataclasses import dataclass, field

from .loadgen import OP_CLOSE, Generator, Member, frame

ROOM_TIMEOUT = 10.0  # seconds for one room's whole cycle before it counts as failed


@dataclass
class Churn:
    """What the churn saw: rooms through their whole cycle, failures by reason, error frames
    by code, cycle times in milliseconds."""

    completed: int = 0
    skipped: int = 0  # not started: too many rooms still in flight (the server fell behind)
    failures: Counter = field(default_factory=Counter)
    error_frames: Counter = field(default_factory=Counter)
    cycle_ms: list[float] = field(default_factory=list)
    in_flight: int = 0


async def _expect(member: Member, wanted: str, churn: Churn) -> dict:
    reply = await member.replies.get()
    if reply.get("type") == "error":
        churn.error_frames[reply.get("code", "?")] += 1
    if reply.get("type") != wanted:
        raise ConnectionError(f"expected {wanted}, got {reply.get('type')}")
    return reply


def _close(member: Member) -> None:
    if member.transport is not None and not member.closed:
        member.transport.write(frame(struct.pack("!H", 1000), OP_CLOSE))
        member.transport.close()


async def one_room(generator: Generator, churn: Churn) -> None:
    """create, join, leave, leave, close: one room's life, counted in `churn`."""
    started = time.monotonic()
    members: list[Member] = []
    try:
        creator = await generator.open_member()
        members.append(creator)
        creator.send(b'{"type":"create"}')
        room = (await _expect(creator, "joined", churn))["room"]
        joiner = await generator.open_member()
        members.append(joiner)
        joiner.send(json.dumps({"type": "join", "room": room}).encode())
        await _expect(joiner, "joined", churn)
        await _expect(creator, "peer-joined", churn)
        joiner.send(b'{"type":"leave"}')
        await _expect(creator, "peer-left", churn)
        creator.send(b'{"type":"leave"}')
        churn.completed += 1
        churn.cycle_ms.append((time.monotonic() - started) * 1000)
    except (OSError, ConnectionError) as error:
        churn.failures[type(error).__name__ + ": " + str(error)[:80]] += 1
    finally:
        for member in members:
            _close(member)


async def guarded(generator: Generator, churn: Churn) -> None:
    """`one_room` within ROOM_TIMEOUT seconds (else a failure "timeout"), counted in flight."""
    churn.in_flight += 1
    try:
        await asyncio.wait_for(one_room(generator, churn), ROOM_TIMEOUT)
    except TimeoutError:
        churn.failures["timeout"] += 1
    finally:
        churn.in_flight -= 1
