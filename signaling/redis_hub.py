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
import logging
import secrets
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any
from urllib.parse import urlsplit

import msgspec
import redis.asyncio as redis
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from starlette import status

from . import redis_scripts as scripts
from .hubs import Connection
from .logs import event, room_id
from .metrics import Metrics
from .protocol import IceServers, Joined, PeerJoined, PeerLeft, ProtocolError, Relayed, encode
from .rooms import ResumeTokens, new_room_code, parse_room_code

COMMAND_TIMEOUT = 2.0  # seconds: a Redis that answers slower than this counts as lost
POOL_CONNECTIONS = 32  # to Redis, per instance, besides the pub/sub one
OUTBOX_BATCH = 1000  # publications per pipeline
HEARTBEAT_INTERVAL = 1.0
HEARTBEAT_TTL_MS = 5000  # an instance silent this long is dead; its seats go into grace
RECONNECT_INTERVAL = 1.0
BROKEN = (RedisError, OSError, TimeoutError)  # TimeoutError: the one of asyncio
PEER_LEFT = encode(PeerLeft())


class BrokerUnavailable(RuntimeError):
    """Redis cannot be reached at start-up."""


def _token_hash(token: str) -> str:
    # A copy of Redis' data must not hand out seats: it holds only hashes of the tokens.
    return hashlib.sha256(token.encode()).hexdigest()


def safe_url(url: str) -> str:
    """The broker URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname}" + (
        f":{parts.port}" if parts.port else ""
    )
    return parts._replace(netloc=netloc).geturl()


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
        self.room_states = dict.fromkeys(("empty", "waiting", "in-call", "reconnecting"), 0)
        self.metrics.registry.register(_RoomStates(self))
        self.tokens = ResumeTokens(resume_secret)
        self._ice_servers = ice_servers
        self._transform = transform  # only the test-only fingerprint tamperer
        self._grace_ms = max(1, int(seat_grace * 1000))
        self._empty_ms = max(1, int(empty_room_ttl * 1000))
        self._sweep_interval = min(1.0, max(0.05, seat_grace / 5))
        self.instance = ""  # a new id at each registration with Redis
        self._ready = False
        self._client: redis.Redis | None = None
        self._pubsub: Any = None
        self._listener: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._recovery: asyncio.Task[None] | None = None
        self._conn_ids = itertools.count(1)
        self._ids: dict[Connection, str] = {}
        self._conns: dict[str, Connection] = {}
        self._seats: dict[Connection, tuple[str, int]] = {}  # (room code, role)
        self._peers: dict[Connection, str] = {}  # the other seat's member, "" if none live
        self._background: set[asyncio.Task[None]] = set()
        # Publications wait here and leave in order, many to a round trip (a pipeline).
        self._outbox: list[tuple[str, str]] = []
        self._outbox_ready = asyncio.Event()
        self._outbox_empty = asyncio.Event()
        self._outbox_empty.set()
        self._sender: asyncio.Task[None] | None = None

    # --- life cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        # Bursts of requests wait for one of the pool's connections rather than fail; no
        # retries: a script must not run twice, and a lost Redis is handled as such.
        pool = redis.BlockingConnectionPool.from_url(
            self.broker_url, max_connections=POOL_CONNECTIONS, timeout=COMMAND_TIMEOUT,
            decode_responses=True, socket_timeout=COMMAND_TIMEOUT,
            socket_connect_timeout=COMMAND_TIMEOUT, retry=Retry(NoBackoff(), 0),
        )  # fmt: skip
        self._client = redis.Redis.from_pool(pool)
        self._scripts = {
            name: self._client.register_script(getattr(scripts, name))
            for name in ("CREATE", "JOIN", "LEAVE", "DISCONNECT", "SWEEP", "REAP")
        }
        try:
            await self._register()
        except BROKEN as error:
            message = f"cannot reach Redis at {safe_url(self.broker_url)}: {error}"
            event("broker-unavailable", logging.ERROR, error=message)
            raise BrokerUnavailable(f"VISAVIS_BROKER_URL: {message}") from None
        self._keeper = asyncio.create_task(self._keep_alive())
        self._sender = asyncio.create_task(self._send_outbox())

    async def _register(self) -> None:
        """Subscribe to a fresh instance id's channel, then announce the instance."""
        assert self._client is not None
        instance = secrets.token_hex(6)
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(scripts.channel(instance))
            # The confirmation: whatever is published from now on reaches us.
            confirmed = pubsub.get_message(ignore_subscribe_messages=False, timeout=None)
            await asyncio.wait_for(confirmed, COMMAND_TIMEOUT)
        except BaseException:
            await pubsub.aclose()
            raise
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.set(scripts.heartbeat_key(instance), "1", px=HEARTBEAT_TTL_MS)
            pipe.sadd(scripts.INSTANCES, instance)
            await pipe.execute()
        self.instance, self._pubsub, self._ready = instance, pubsub, True
        self._listener = asyncio.create_task(self._listen(pubsub))

    async def _keep_alive(self) -> None:
        """Heartbeat, release seats whose grace ended, reap dead instances. Until cancelled."""
        assert self._client is not None
        beat_at = 0.0
        while True:
            await asyncio.sleep(self._sweep_interval)
            if not self._ready:
                continue
            try:
                for code in await self._scripts["SWEEP"](args=[self._empty_ms, PEER_LEFT]):
                    event("seat-released", room=room_id(code))
                if time.monotonic() >= beat_at:
                    key = scripts.heartbeat_key(self.instance)
                    if not await self._client.set(key, "1", px=HEARTBEAT_TTL_MS, xx=True):
                        self._lost("this instance was presumed dead")
                        continue
                    await self._scripts["REAP"](args=[self._grace_ms, ""])
                    beat_at = time.monotonic() + HEARTBEAT_INTERVAL
            except BROKEN as error:
                self._lost(error)

    async def _listen(self, pubsub: Any) -> None:
        try:
            async for message in pubsub.listen():
                if message["type"] != "message":
                    continue
                try:
                    conn_id, code, rest = message["data"].split(" ", 2)
                    await self._deliver(conn_id, code, rest[0], rest[1:])
                except (ValueError, IndexError):  # not ours: nothing else must stop us
                    event("broker-message-ignored", logging.WARNING)
        except BROKEN as error:
            self._lost(error)

    def _lost(self, error: object) -> None:
        """Redis is gone, or this instance was taken for dead: every socket is told and
        closed (clients reconnect and resume), and the instance registers anew."""
        if not self._ready:
            return
        self._ready = False
        event("broker-lost", logging.WARNING, error=str(error))
        unavailable = encode(ProtocolError("unavailable").frame())
        for conn in list(self._conns.values()):
            self._spawn(_turn_away(conn, unavailable))
        self._ids.clear()
        self._conns.clear()
        self._seats.clear()
        self._peers.clear()
        self._outbox.clear()
        self._outbox_empty.set()
        if self._listener is not None and self._listener is not asyncio.current_task():
            self._listener.cancel()
        if self._recovery is None or self._recovery.done():
            self._recovery = asyncio.create_task(self._recover())

    async def _recover(self) -> None:
        while not self._ready:
            await asyncio.sleep(RECONNECT_INTERVAL)
            if self._pubsub is not None:
                with contextlib.suppress(*BROKEN):
                    await self._pubsub.aclose()
                self._pubsub = None
            try:
                await self._register()
                event("broker-back")
            except BROKEN:
                continue

    async def close(self) -> None:
        """At shutdown: this instance's remaining seats go into grace, then disconnect."""
        if self._ready:  # what is queued still goes out
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outbox_empty.wait(), COMMAND_TIMEOUT)
        tasks = [self._keeper, self._sender, self._recovery, self._listener]
        tasks = [task for task in tasks if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, *self._background, return_exceptions=True)
        if self._client is None:
            return
        if self._ready:
            with contextlib.suppress(*BROKEN):
                await self._scripts["REAP"](args=[self._grace_ms, self.instance])
        with contextlib.suppress(*BROKEN):
            if self._pubsub is not None:
                await self._pubsub.aclose()
            await self._client.aclose()

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
            self._publish(replaced, code, "r", "")
        if other:
            self._publish(other, code, "j", f"{member} {encode(PeerJoined(resumed))}")

    def is_seated(self, conn: Connection) -> bool:
        return conn in self._seats

    async def relay(self, conn: Connection, data: msgspec.Raw) -> None:
        code, _ = self._seat_of(conn)
        other = self._peers.get(conn)
        # Frames for a peer who is absent or reconnecting are dropped, as in-process.
        if not other:
            return
        if self._transform is not None:
            data = self._transform(data)
        self.metrics.relayed_messages.inc()
        self.metrics.relayed_bytes.inc(len(data))
        self._publish(other, code, "f", encode(Relayed(data)))

    async def leave(self, conn: Connection) -> None:
        code, role = self._seat_of(conn)
        del self._seats[conn], self._peers[conn]
        event("seat-left", room=room_id(code))
        await self._outbox_empty.wait()  # our last frames reach the peer before peer-left
        await self._call(conn, "LEAVE", code, role, self._member(conn), self._empty_ms, PEER_LEFT)

    async def disconnect(self, conn: Connection) -> None:
        """The socket is gone without `leave`: its seat waits out the grace period."""
        conn_id = self._ids.pop(conn, None)
        if conn_id is not None:
            del self._conns[conn_id]
        held = self._seats.pop(conn, None)
        self._peers.pop(conn, None)
        if held is None or not self._ready:
            return  # after a loss of Redis, the reaper puts the old instance's seats in grace
        member = f"{self.instance}/{conn_id}"
        try:
            await self._scripts["DISCONNECT"](args=[held[0], held[1], member, self._grace_ms])
        except BROKEN as error:
            self._lost(error)

    async def refresh_ice_servers(self, interval: float) -> None:
        """Every `interval` seconds, fresh TURN credentials for this instance's members."""
        while True:
            await asyncio.sleep(interval)
            for conn in list(self._seats):
                self._spawn(conn.send(encode(IceServers(self._ice_servers()))))

    async def refresh_metrics(self) -> None:
        """Count the rooms of all instances by state (a SCAN of the room keys, per scrape)."""
        if not self._ready or self._client is None:
            return
        counts = dict.fromkeys(self.room_states, 0)
        with contextlib.suppress(*BROKEN):
            keys = [key async for key in self._client.scan_iter(scripts.room_key("*"), 1000)]
            async with self._client.pipeline(transaction=False) as pipe:
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
        if not self._ready:
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
        return f"{self.instance}/{conn_id}"

    def _joined(self, code: str, role: int, peer: bool, token: str, resumed: bool) -> Joined:
        return Joined(
            room=code, polite=bool(role), peer_present=peer, resume=token, resumed=resumed,
            ice_servers=self._ice_servers(),
        )  # fmt: skip

    async def _call(self, conn: Connection, script: str, *args: Any) -> Any:
        """Run a script; if Redis fails, every socket (this one too) is turned away."""
        try:
            return await self._scripts[script](args=list(args))
        except BROKEN as error:
            self._lost(error)
            raise ProtocolError("unavailable") from None

    def _publish(self, member: str, code: str, kind: str, payload: str) -> None:
        instance, _, conn_id = member.partition("/")
        self._outbox.append((scripts.channel(instance), f"{conn_id} {code} {kind}{payload}"))
        self._outbox_empty.clear()
        self._outbox_ready.set()

    async def _send_outbox(self) -> None:
        """Publish what is queued, in order, all of it in one pipeline. Until cancelled."""
        assert self._client is not None
        while True:
            await self._outbox_ready.wait()
            self._outbox_ready.clear()
            while self._outbox and self._ready:
                batch, self._outbox = self._outbox[:OUTBOX_BATCH], self._outbox[OUTBOX_BATCH:]
                try:
                    async with self._client.pipeline(transaction=False) as pipe:
                        for channel, message in batch:
                            pipe.publish(channel, message)
                        await pipe.execute()
                except BROKEN as error:
                    self._lost(error)
            self._outbox_empty.set()

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


class _RoomStates(Collector):
    """Rooms of all instances by state, as counted from Redis before each scrape."""

    def __init__(self, hub: RedisHub) -> None:
        self.hub = hub

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("visavis_rooms", "Rooms by state", labels=["state"])
        for state, count in self.hub.room_states.items():
            family.add_metric([state], count)
        yield family
