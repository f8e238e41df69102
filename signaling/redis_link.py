"""One instance's link to Redis: its registration (a fresh id, a heartbeat, a pub/sub
channel), the keeper that releases seats whose grace ended and reaps dead instances, the
ordered outbox of publications, and what happens when Redis is lost. The Redis hub
(hub_redis.py) keeps the sockets and speaks the protocol."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from . import redis_scripts as scripts
from .logs import event, room_id

COMMAND_TIMEOUT = 2.0  # seconds: a Redis that answers slower than this counts as lost
POOL_CONNECTIONS = 32  # to Redis, per instance, besides the pub/sub one
OUTBOX_BATCH = 1000  # publications per pipeline
HEARTBEAT_INTERVAL = 1.0
HEARTBEAT_TTL_MS = 5000  # an instance silent this long is dead; its seats go into grace
RECONNECT_INTERVAL = 1.0
BROKEN = (RedisError, OSError, TimeoutError)  # TimeoutError: the one of asyncio

# (connection id, room code, kind, payload): something for one of this instance's sockets.
Deliver = Callable[[str, str, str, str], Awaitable[None]]


class BrokerUnavailable(RuntimeError):
    """Redis cannot be reached at start-up."""


def safe_url(url: str) -> str:
    """The broker URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname}" + (
        f":{parts.port}" if parts.port else ""
    )
    return parts._replace(netloc=netloc).geturl()


class RedisLink:
    def __init__(
        self,
        broker_url: str,
        grace_ms: int,
        empty_ms: int,
        peer_left: str,
        deliver: Deliver,
        on_lost: Callable[[], None],
    ) -> None:
        self.broker_url = broker_url
        self.instance = ""  # a new id at each registration with Redis
        self.ready = False
        self.client: redis.Redis | None = None
        self._grace_ms, self._empty_ms, self._peer_left = grace_ms, empty_ms, peer_left
        self._sweep_interval = min(1.0, max(0.05, grace_ms / 5000))
        self._deliver, self._on_lost = deliver, on_lost
        self._scripts: dict[str, Any] = {}
        self._pubsub: Any = None
        self._listener: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._recovery: asyncio.Task[None] | None = None
        self._sender: asyncio.Task[None] | None = None
        # Publications wait here and leave in order, many to a round trip (a pipeline).
        self._outbox: list[tuple[str, str]] = []
        self._outbox_ready = asyncio.Event()
        self.outbox_empty = asyncio.Event()
        self.outbox_empty.set()

    async def start(self) -> None:
        # Bursts of requests wait for one of the pool's connections rather than fail; no
        # retries: a script must not run twice, and a lost Redis is handled as such.
        pool = redis.BlockingConnectionPool.from_url(
            self.broker_url,
            max_connections=POOL_CONNECTIONS,
            timeout=COMMAND_TIMEOUT,
            decode_responses=True,
            socket_timeout=COMMAND_TIMEOUT,
            socket_connect_timeout=COMMAND_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )
        self.client = redis.Redis.from_pool(pool)
        self._scripts = {
            name: self.client.register_script(getattr(scripts, name))
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

    async def run(self, script: str, *args: Any) -> Any:
        """Run one of redis_scripts' scripts; a failure is a lost Redis (and is raised)."""
        try:
            return await self._scripts[script](args=list(args))
        except BROKEN as error:
            self.lost(error)
            raise

    def publish(self, member: str, code: str, kind: str, payload: str) -> None:
        """Queue something for a member's socket, on its instance's channel."""
        instance, _, conn_id = member.partition("/")
        self._outbox.append((scripts.channel(instance), f"{conn_id} {code} {kind}{payload}"))
        self.outbox_empty.clear()
        self._outbox_ready.set()

    async def _register(self) -> None:
        """Subscribe to a fresh instance id's channel, then announce the instance."""
        assert self.client is not None
        instance = secrets.token_hex(6)
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(scripts.channel(instance))
            # The confirmation: whatever is published from now on reaches us.
            confirmed = pubsub.get_message(ignore_subscribe_messages=False, timeout=None)
            await asyncio.wait_for(confirmed, COMMAND_TIMEOUT)
        except BaseException:
            await pubsub.aclose()
            raise
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.set(scripts.heartbeat_key(instance), "1", px=HEARTBEAT_TTL_MS)
            pipe.sadd(scripts.INSTANCES, instance)
            await pipe.execute()
        self.instance, self._pubsub, self.ready = instance, pubsub, True
        self._listener = asyncio.create_task(self._listen(pubsub))

    async def _keep_alive(self) -> None:
        """Heartbeat, release seats whose grace ended, reap dead instances. Until cancelled."""
        assert self.client is not None
        beat_at = 0.0
        while True:
            await asyncio.sleep(self._sweep_interval)
            if not self.ready:
                continue
            try:
                for code in await self._scripts["SWEEP"](args=[self._empty_ms, self._peer_left]):
                    event("seat-released", room=room_id(code))
                if time.monotonic() >= beat_at:
                    key = scripts.heartbeat_key(self.instance)
                    if not await self.client.set(key, "1", px=HEARTBEAT_TTL_MS, xx=True):
                        self.lost("this instance was presumed dead")
                        continue
                    await self._scripts["REAP"](args=[self._grace_ms, ""])
                    beat_at = time.monotonic() + HEARTBEAT_INTERVAL
            except BROKEN as error:
                self.lost(error)

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
            self.lost(error)

    def lost(self, error: object) -> None:
        """Redis is gone, or this instance was taken for dead: the hub turns every socket
        away (clients reconnect and resume), and the instance registers anew."""
        if not self.ready:
            return
        self.ready = False
        event("broker-lost", logging.WARNING, error=str(error))
        self._outbox.clear()
        self.outbox_empty.set()
        self._on_lost()
        if self._listener is not None and self._listener is not asyncio.current_task():
            self._listener.cancel()
        if self._recovery is None or self._recovery.done():
            self._recovery = asyncio.create_task(self._recover())

    async def _recover(self) -> None:
        while not self.ready:
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
        """At shutdown: what is queued goes out, this instance's remaining seats go into
        grace, then disconnect."""
        if self.ready:  # what is queued still goes out
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.outbox_empty.wait(), COMMAND_TIMEOUT)
        running = (self._keeper, self._sender, self._recovery, self._listener)
        tasks = [task for task in running if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.client is None:
            return
        if self.ready:
            with contextlib.suppress(*BROKEN):
                await self._scripts["REAP"](args=[self._grace_ms, self.instance])
        with contextlib.suppress(*BROKEN):
            if self._pubsub is not None:
                await self._pubsub.aclose()
            await self.client.aclose()

    async def _send_outbox(self) -> None:
        """Publish what is queued, in order, all of it in one pipeline. Until cancelled."""
        assert self.client is not None
        while True:
            await self._outbox_ready.wait()
            self._outbox_ready.clear()
            while self._outbox and self.ready:
                batch, self._outbox = self._outbox[:OUTBOX_BATCH], self._outbox[OUTBOX_BATCH:]
                try:
                    async with self.client.pipeline(transaction=False) as pipe:
                        for channel, message in batch:
                            pipe.publish(channel, message)
                        await pipe.execute()
                except BROKEN as error:
                    self.lost(error)
            self.outbox_empty.set()
