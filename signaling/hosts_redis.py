"""The hosts store in the Redis of VISAVIS_BROKER_URL: every instance sees the same hosts.

Keys (all under `visavis:hosts:`): `host:<id>` a hash (name, created); `all` a sorted set of
host ids by creation; `cred:<credential id, base64url>` a hash (host, key, count);
`creds:<host id>` a set of its credential ids; `enrol:<token hash>` a hash (name, expires,
used) that expires `ENROLMENT_MEMORY` after the link does; `challenge:<purpose>:<b64>` a
string with a TTL. Using a link is one Lua script, so two instances cannot both use it;
taking a challenge is one `GETDEL`. Redis must keep its data across restarts (the redis
role turns on its append-only file) for hosts to outlive them.
"""

from __future__ import annotations

import math
import time
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

from .hosts import ENROLMENT_MEMORY, Credential, Enrolment, EnrolOutcome, Host, b64url, b64url_bytes

PREFIX = "visavis:hosts:"

# KEYS: enrolment, host, all hosts, credential, host's credentials.
# ARGV: now, host id, name, created, credential id (b64url), public key, sign count.
ENROL = """
local enrolment = redis.call('HMGET', KEYS[1], 'expires', 'used')
if not enrolment[1] then return 'unknown' end
if enrolment[2] == '1' then return 'used' end
if tonumber(enrolment[1]) <= tonumber(ARGV[1]) then return 'expired' end
redis.call('HSET', KEYS[1], 'used', '1')
redis.call('HSET', KEYS[2], 'name', ARGV[3], 'created', ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
redis.call('HSET', KEYS[4], 'host', ARGV[2], 'key', ARGV[6], 'count', ARGV[7])
redis.call('SADD', KEYS[5], ARGV[5])
return 'ok'
"""

# KEYS: host, all hosts, host's credentials. ARGV: host id, credential key prefix.
REMOVE = """
local removed = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do redis.call('DEL', ARGV[2] .. id) end
redis.call('DEL', KEYS[3])
return removed
"""

UPDATE_COUNT = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'count', ARGV[1]) end
"""


class RedisHostStore:
    """Implements `hosts.HostStore` in the Redis at `url` (connected on `start`)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client: redis.Redis | None = None

    async def start(self) -> None:
        """Connect; raises RuntimeError naming VISAVIS_BROKER_URL (never the URL itself, which
        may hold a password) when Redis does not answer."""
        client = redis.Redis.from_url(self.url)
        try:
            await client.ping()  # an unreachable Redis stops the start, as for the hub
        except (RedisError, OSError) as error:
            await client.aclose()
            raise RuntimeError(
                f"VISAVIS_BROKER_URL: the hosts store cannot reach Redis ({type(error).__name__})"
            ) from None
        self._client = client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def client(self) -> Any:  # redis-py's replies are typed `bytes | str`: ours are bytes
        if self._client is None:
            raise RuntimeError("the hosts store is not started")
        return self._client

    async def add_enrolment(self, token_hash: str, name: str, expires: float) -> None:
        key = f"{PREFIX}enrol:{token_hash}"
        await self.client.hset(key, mapping={"name": name, "expires": repr(expires), "used": "0"})
        await self.client.expireat(key, math.ceil(expires + ENROLMENT_MEMORY))

    async def enrolment(self, token_hash: str) -> Enrolment | None:
        found = await self.client.hgetall(f"{PREFIX}enrol:{token_hash}")
        if not found:
            return None
        return Enrolment(
            token_hash, found[b"name"].decode(), float(found[b"expires"]), found[b"used"] == b"1"
        )

    async def enrol(
        self, token_hash: str, now: float, host: Host, credential: Credential
    ) -> EnrolOutcome:
        cred = b64url(credential.id)
        keys = [
            f"{PREFIX}enrol:{token_hash}",
            f"{PREFIX}host:{host.id}",
            f"{PREFIX}all",
            f"{PREFIX}cred:{cred}",
            f"{PREFIX}creds:{host.id}",
        ]
        args: list[Any] = [repr(now), host.id, host.name, repr(host.created), cred]
        args += [credential.public_key, credential.sign_count]
        outcome = await self.client.eval(ENROL, len(keys), *keys, *args)
        return outcome.decode()

    async def host(self, host_id: str) -> Host | None:
        found = await self.client.hgetall(f"{PREFIX}host:{host_id}")
        if not found:
            return None
        return Host(host_id, found[b"name"].decode(), float(found[b"created"]))

    async def hosts(self) -> list[Host]:
        ids = await self.client.zrange(f"{PREFIX}all", 0, -1)
        found = [await self.host(host_id.decode()) for host_id in ids]
        return [host for host in found if host is not None]

    async def remove_host(self, host_id: str) -> bool:
        keys = [f"{PREFIX}host:{host_id}", f"{PREFIX}all", f"{PREFIX}creds:{host_id}"]
        removed = await self.client.eval(REMOVE, 3, *keys, host_id, f"{PREFIX}cred:")
        return bool(removed)

    async def credential(self, credential_id: bytes) -> Credential | None:
        found = await self.client.hgetall(f"{PREFIX}cred:{b64url(credential_id)}")
        if not found:
            return None
        return Credential(
            credential_id, found[b"host"].decode(), found[b"key"], int(found[b"count"])
        )

    async def credentials(self, host_id: str) -> list[Credential]:
        ids = await self.client.smembers(f"{PREFIX}creds:{host_id}")
        found = [await self.credential(b64url_bytes(cred.decode())) for cred in ids]
        return [credential for credential in found if credential is not None]

    async def update_sign_count(self, credential_id: bytes, sign_count: int) -> None:
        # Only while the credential still exists: a removed host's passkey stays removed.
        key = f"{PREFIX}cred:{b64url(credential_id)}"
        await self.client.eval(UPDATE_COUNT, 1, key, sign_count)

    async def put_challenge(
        self, challenge: bytes, purpose: str, expires: float, data: str
    ) -> None:
        ttl_ms = max(1, math.ceil((expires - time.time()) * 1000))
        await self.client.set(self._challenge_key(challenge, purpose), data, px=ttl_ms)

    async def take_challenge(self, challenge: bytes, purpose: str, now: float) -> str | None:
        # Redis' TTL ends it; GETDEL makes the first taker the only one (a replay finds none).
        data = await self.client.getdel(self._challenge_key(challenge, purpose))
        return None if data is None else data.decode()

    @staticmethod
    def _challenge_key(challenge: bytes, purpose: str) -> str:
        return f"{PREFIX}challenge:{purpose}:{b64url(challenge)}"
