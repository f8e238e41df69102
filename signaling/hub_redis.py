"""The Redis hub: several signaling instances share rooms, seats and delivery through Redis.

Seats, resume tokens (as hashes) and deadlines live in Redis and change only through the Lua
scripts of redis_scripts.py, so two joins racing for the last seat on different instances
cannot both win. Frames for a socket go through its instance's pub/sub channel; each instance
remembers where the other member of each of its sockets is (told through the same channel),
so a relay costs one PUBLISH. Each instance keeps a heartbeat; any instance moves the seats of
one whose heartbeat expired into their grace period, so people resume through whichever
instance they reach.

Resume tokens are checked against their hash in Redis, so instances need not share
VISAVIS_RESUME_SECRET (tokens keep the in-process format) and rooms outlive any instance:
there is nothing to restore after a restart.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
from typing import Any, cast

import msgspec
from starlette import status

from . import redis_scripts as scripts
from .hub import Connection
from .hub_base import BaseHub, IceServerSource
from .logs import event, room_id
from .metrics import Metrics
from .protocol import PeerJoined, PeerLeft, ProtocolError, encode
from .redis_link import BROKEN, RedisLink
from .rooms import ROOM_STATES, ResumeTokens, count_room_states, new_room_code, parse_room_code

PEER_LEFT = encode(PeerLeft())


def _token_hash(token: str) -> str:
    # A copy of Redis' data must not hand out seats: it holds only hashes of the tokens.
    return hashlib.sha256(token.encode()).hexdigest()


class RedisHub(BaseHub[tuple[str, int]]):
    """Implements `hub.Hub` with the rooms in the Redis at `broker_url`; the seats this
    instance's sockets hold are remembered as (room code, role), role 0 the creator's.

    `seat_grace` and `empty_room_ttl` (seconds) as for the in-process hub; tokens are issued
    with `resume_secret` but checked against their hashes in Redis."""

    def __init__(
        self,
        broker_url: str,
        metrics: Metrics,
        ice_servers: IceServerSource,
        seat_grace: float,
        empty_room_ttl: float,
        resume_secret: str = "",
    ) -> None:
        super().__init__(metrics, ice_servers)
        self.tokens = ResumeTokens(resume_secret)
        self._grace_ms = max(1, int(seat_grace * 1000))
        self._empty_ms = max(1, int(empty_room_ttl * 1000))
        self.link = RedisLink(
            broker_url, self._grace_ms, self._empty_ms, PEER_LEFT, self._deliver, self._lost
        )
        self._conn_ids = itertools.count(1)
        self._ids: dict[Connection, str] = {}
        self._conns: dict[str, Connection] = {}
        self._peers: dict[Connection, str] = {}  # the other seat's member, "" if none live
        self._room_states = dict.fromkeys(ROOM_STATES, 0)  # the last count Redis gave

    async def start(self) -> None:
        await self.link.start()

    @property
    def broker_up(self) -> bool | None:
        return self.link.ready

    async def close(self) -> None:
        """At shutdown: pending notifications, then the link (seats left go into grace)."""
        await self._finish_background()
        await self.link.close()

    def _lost(self) -> None:
        """Redis is lost: every socket is told and closed (1012); clients resume later."""
        unavailable = encode(ProtocolError("unavailable").frame())
        for conn in list(self._conns.values()):
            self._spawn(_turn_away(conn, unavailable))
        self._ids.clear()
        self._conns.clear()
        self._seats.clear()
        self._peers.clear()

    # --- requests from a member ---------------------------------------------------------

    async def create(self, conn: Connection) -> None:
        self._ensure_outside(conn)
        member = self._member(conn)
        while True:
            code = new_room_code()
            token = self.tokens.issue(code, False)
            if await self._call(conn, "CREATE", code, member, _token_hash(token)):
                break
        self._seats[conn], self._peers[conn] = (code, 0), ""
        self._count_created(code)
        await conn.send(self._joined(code, False, False, token, False))

    async def join(self, conn: Connection, room_code: str, resume: str | None) -> None:
        self._ensure_outside(conn)
        code = parse_room_code(room_code)
        if code is None:
            refused = ProtocolError("bad-room-code")
            self._count_refused(refused)
            raise refused
        member = self._member(conn)
        fresh = (self.tokens.issue(code, False), self.tokens.issue(code, True))
        answer = await self._call(
            conn,
            "JOIN",
            code,
            member,
            _token_hash(resume) if resume else "",
            _token_hash(fresh[0]),
            _token_hash(fresh[1]),
        )
        if answer[0] != "ok":
            refused = ProtocolError(answer[0])
            self._count_refused(refused)
            raise refused
        role, resumed, replaced, peer_present, other = (
            int(answer[1]),
            bool(answer[2]),
            answer[3],
            bool(answer[4]),
            answer[5],
        )
        self._seats[conn], self._peers[conn] = (code, role), other
        self._count_joined(code, resumed, bool(role))
        token = resume if resumed and resume else fresh[role]
        # `joined` goes out before the peer hears of us, so its offer cannot overtake it.
        await conn.send(self._joined(code, bool(role), peer_present, token, resumed))
        if replaced:
            self.link.publish(replaced, code, "r", "")
        if other:
            self.link.publish(other, code, "j", f"{member} {encode(PeerJoined(resumed))}")

    async def relay(self, conn: Connection, data: msgspec.Raw) -> None:
        code, role = self._seat_of(conn)
        other = self._peers.get(conn) or await self._peer_in_redis(conn, code, role)
        # Frames for a peer who is absent or reconnecting are dropped, as in-process.
        if other:
            self.link.publish(other, code, "f", self._relayed(data))

    async def leave(self, conn: Connection) -> None:
        code, role = self._seat_of(conn)
        del self._seats[conn], self._peers[conn]
        event("seat-left", room=room_id(code))
        await self.link.outbox_empty.wait()  # our last frames reach the peer before peer-left
        await self._call(conn, "LEAVE", code, role, self._member(conn), self._empty_ms, PEER_LEFT)

    async def disconnect(self, conn: Connection) -> None:
        """The socket is gone without `leave`: its seat waits out the grace period."""
        conn_id = self._ids.pop(conn, None)
        if conn_id is not None:
            del self._conns[conn_id]
        held = self._seats.pop(conn, None)
        self._peers.pop(conn, None)
        if held is None or not self.link.ready:
            return  # after a loss of Redis, the reaper puts the old instance's seats in grace
        member = f"{self.link.instance}/{conn_id}"
        with contextlib.suppress(*BROKEN):
            await self.link.run("DISCONNECT", held[0], held[1], member, self._grace_ms)

    async def room_exists(self, room_code: str) -> bool:
        code = parse_room_code(room_code)
        client = self.link.client
        if code is None or not self.link.ready or client is None:
            return False
        with contextlib.suppress(*BROKEN):
            return bool(await client.exists(scripts.room_key(code)))
        return False

    async def count_rooms(self) -> dict[str, int]:
        """The rooms of all instances by state (a SCAN of the room keys, per scrape); while
        Redis is away, the last count."""
        client = self.link.client
        if not self.link.ready or client is None:
            return self._room_states
        with contextlib.suppress(*BROKEN):
            keys = [key async for key in client.scan_iter(scripts.room_key("*"), 1000)]
            async with client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.hmget(key, "m0", "m1")
                rooms = await pipe.execute()
            # A member "" holds a seat in its grace period; None, a free seat.
            live = ([member != "" for member in seats if member is not None] for seats in rooms)
            self._room_states = count_room_states(live)
        return self._room_states

    # --- bookkeeping --------------------------------------------------------------------

    def _ensure_outside(self, conn: Connection) -> None:
        super()._ensure_outside(conn)
        if not self.link.ready:
            self._spawn(_turn_away(conn, encode(ProtocolError("unavailable").frame())))
            raise ProtocolError("unavailable")

    def _member(self, conn: Connection) -> str:
        conn_id = self._ids.get(conn)
        if conn_id is None:
            conn_id = self._ids[conn] = str(next(self._conn_ids))
            self._conns[conn_id] = conn
        return f"{self.link.instance}/{conn_id}"

    async def _peer_in_redis(self, conn: Connection, code: str, role: int) -> str:
        """The other seat's live member, asked of Redis: its `j` may still be on its way."""
        assert self.link.client is not None
        try:
            answer = await self.link.client.hget(scripts.room_key(code), f"m{1 - role}")
            other = cast(str | None, answer)  # the client decodes responses
        except BROKEN as error:
            self.link.lost(error)
            raise ProtocolError("unavailable") from None
        if not other or self._seats.get(conn) != (code, role):
            return ""
        self._peers[conn] = other  # `l` and `g` come after this answer: they will clear it
        return other

    async def _call(self, conn: Connection, script: str, *args: Any) -> Any:
        """Run a script; if Redis fails, every socket (this one too) is turned away."""
        try:
            return await self.link.run(script, *args)
        except BROKEN:
            raise ProtocolError("unavailable") from None

    async def _deliver(self, conn_id: str, code: str, kind: str, payload: str) -> None:
        """Something for one of this instance's sockets, if it is still in that room."""
        conn = self._conns.get(conn_id)
        if conn is None or self._seats.get(conn, ("",))[0] != code:
            return  # gone, or moved on to another room meanwhile
        if kind == "f":
            await conn.send(payload)
        elif kind == "j":
            self._peers[conn], _, frame = payload.partition(" ")
            await conn.send(frame)
        elif kind == "l":
            self._peers[conn] = ""
            await conn.send(payload)
        elif kind == "g":
            self._peers[conn] = ""
        elif kind == "r":
            self._seats.pop(conn, None)
            self._peers.pop(conn, None)
            await conn.close_replaced()


async def _turn_away(conn: Connection, frame: str) -> None:
    await conn.send(frame)
    conn.close_after_sending(status.WS_1012_SERVICE_RESTART, "broker lost")
