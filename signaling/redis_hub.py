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

import asyncio
import contextlib
import hashlib
import itertools
from collections.abc import Callable, Coroutine
from typing import Any

import msgspec
from starlette import status

from . import redis_scripts as scripts
from .hubs import Connection
from .logs import event, room_id
from .metrics import ROOM_STATES, Metrics
from .protocol import IceServers, Joined, PeerJoined, PeerLeft, ProtocolError, Relayed, encode
from .redis_link import BROKEN, RedisLink
from .rooms import ResumeTokens, new_room_code, parse_room_code

PEER_LEFT = encode(PeerLeft())


def _token_hash(token: str) -> str:
    # A copy of Redis' data must not hand out seats: it holds only hashes of the tokens.
    return hashlib.sha256(token.encode()).hexdigest()


class RedisHub:
    def __init__(
        self,
        broker_url: str,
        ice_servers: Callable[[], list[dict[str, Any]]],
        seat_grace: float,
        empty_room_ttl: float,
        transform: Callable[[msgspec.Raw], msgspec.Raw] | None = None,
        resume_secret: str = "",
        metrics: Metrics | None = None,
    ) -> None:
        self.broker_url = broker_url
        self.metrics = metrics or Metrics()
        self.room_states = dict.fromkeys(ROOM_STATES, 0)
        self.metrics.watch_rooms(lambda: self.room_states)
        self.tokens = ResumeTokens(resume_secret)
        self._ice_servers = ice_servers
        self._transform = transform  # only the test-only fingerprint tamperer
        self._grace_ms = max(1, int(seat_grace * 1000))
        self._empty_ms = max(1, int(empty_room_ttl * 1000))
        # The link calls self._deliver anew each time (the fuzzer watches it).
        self.link = RedisLink(
            broker_url, self._grace_ms, self._empty_ms, PEER_LEFT,
            lambda *message: self._deliver(*message), self._lost,
        )  # fmt: skip
        self._conn_ids = itertools.count(1)
        self._ids: dict[Connection, str] = {}
        self._conns: dict[str, Connection] = {}
        self._seats: dict[Connection, tuple[str, int]] = {}  # (room code, role)
        self._peers: dict[Connection, str] = {}  # the other seat's member, "" if none live
        self._background: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self.link.start()

    async def close(self) -> None:
        """At shutdown: pending notifications, then the link (seats left go into grace)."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
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
        self.metrics.joins.labels("created").inc()
        event("room-created", room=room_id(code))
        event("seat-taken", room=room_id(code), resumed=False, polite=False)
        await conn.send(encode(self._joined(code, 0, False, token, False)))

    async def join(self, conn: Connection, room_code: str, resume: str | None) -> None:
        self._ensure_outside(conn)
        code = parse_room_code(room_code)
        if code is None:
            self.metrics.joins.labels("bad-room-code").inc()
            raise ProtocolError("bad-room-code")
        member = self._member(conn)
        fresh = (self.tokens.issue(code, False), self.tokens.issue(code, True))
        answer = await self._call(
            conn, "JOIN", code, member, _token_hash(resume) if resume else "",
            _token_hash(fresh[0]), _token_hash(fresh[1]),
        )  # fmt: skip
        if answer[0] != "ok":
            self.metrics.joins.labels(answer[0]).inc()
            raise ProtocolError(answer[0])
        role, resumed, replaced, peer_present, other = (
            int(answer[1]), bool(answer[2]), answer[3], bool(answer[4]), answer[5]
        )  # fmt: skip
        self._seats[conn], self._peers[conn] = (code, role), other
        self.metrics.joins.labels("resumed" if resumed else "joined").inc()
        if resumed:
            self.metrics.resumes.inc()
        event("seat-taken", room=room_id(code), resumed=resumed, polite=bool(role))
        token = resume if resumed and resume else fresh[role]
        # `joined` goes out before the peer hears of us, so its offer cannot overtake it.
        await conn.send(encode(self._joined(code, role, peer_present, token, resumed)))
        if replaced:
            self.link.publish(replaced, code, "r", "")
        if other:
            self.link.publish(other, code, "j", f"{member} {encode(PeerJoined(resumed))}")

    def is_seated(self, conn: Connection) -> bool:
        return conn in self._seats

    async def relay(self, conn: Connection, data: msgspec.Raw) -> None:
        code, role = self._seat_of(conn)
        other = self._peers.get(conn) or await self._peer_in_redis(conn, code, role)
        # Frames for a peer who is absent or reconnecting are dropped, as in-process.
        if not other:
            return
        if self._transform is not None:
            data = self._transform(data)
        self.metrics.relayed_messages.inc()
        self.metrics.relayed_bytes.inc(len(data))
        self.link.publish(other, code, "f", encode(Relayed(data)))

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

    async def refresh_ice_servers(self, interval: float) -> None:
        """Every `interval` seconds, fresh TURN credentials for this instance's members."""
        while True:
            await asyncio.sleep(interval)
            for conn in list(self._seats):
                self._spawn(conn.send(encode(IceServers(self._ice_servers()))))

    async def refresh_metrics(self) -> None:
        """Count the rooms of all instances by state (a SCAN of the room keys, per scrape)."""
        client = self.link.client
        if not self.link.ready or client is None:
            return
        counts = dict.fromkeys(self.room_states, 0)
        with contextlib.suppress(*BROKEN):
            keys = [key async for key in client.scan_iter(scripts.room_key("*"), 1000)]
            async with client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.hmget(key, "m0", "m1")
                for seats in await pipe.execute():
                    taken = [seat for seat in seats if seat is not None]
                    if not taken:
                        counts["empty"] += 1
                    elif "" in taken:
                        counts["reconnecting"] += 1
                    else:
                        counts["waiting" if len(taken) == 1 else "in-call"] += 1
            self.room_states = counts

    # --- bookkeeping --------------------------------------------------------------------

    def _ensure_outside(self, conn: Connection) -> None:
        if conn in self._seats:
            raise ProtocolError("already-in-room")
        if not self.link.ready:
            self._spawn(_turn_away(conn, encode(ProtocolError("unavailable").frame())))
            raise ProtocolError("unavailable")

    def _seat_of(self, conn: Connection) -> tuple[str, int]:
        held = self._seats.get(conn)
        if held is None:
            raise ProtocolError("not-in-room")
        return held

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
            other = await self.link.client.hget(scripts.room_key(code), f"m{1 - role}")
        except BROKEN as error:
            self.link.lost(error)
            raise ProtocolError("unavailable") from None
        if not other or self._seats.get(conn) != (code, role):
            return ""
        self._peers[conn] = other  # `l` and `g` come after this answer: they will clear it
        return other

    def _joined(self, code: str, role: int, peer: bool, token: str, resumed: bool) -> Joined:
        return Joined(
            room=code, polite=bool(role), peer_present=peer, resume=token, resumed=resumed,
            ice_servers=self._ice_servers(),
        )  # fmt: skip

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

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


async def _turn_away(conn: Connection, frame: str) -> None:
    await conn.send(frame)
    conn.close_after_sending(status.WS_1012_SERVICE_RESTART, "broker lost")
