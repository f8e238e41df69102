"""The hosts store interface on both backends: a real SQLite file and a real redis-server
pass the very same tests (like the two hubs)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from signaling.hosts import Credential, Host, HostStore, new_host_id, token_hash
from signaling.hosts_redis import RedisHostStore
from signaling.hosts_sqlite import SqliteHostStore
from tests.service.conftest import empty_redis

NewStore = Callable[[], HostStore]


@pytest.fixture(params=("sqlite", "redis"))
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> NewStore:
    """Makes store objects on one backing store: two of them are two instances, or one
    process before and after a restart."""
    if request.param == "sqlite":
        return lambda: SqliteHostStore(tmp_path / "state" / "hosts.sqlite3")
    url = request.getfixturevalue("redis_url")
    empty_redis(url)
    return lambda: RedisHostStore(url)


def run(new_store: NewStore, body: Callable[[HostStore], Awaitable[object]]) -> object:
    async def main() -> object:
        store = new_store()
        await store.start()
        try:
            return await body(store)
        finally:
            await store.close()

    return asyncio.run(main())


def a_host(name: str = "Ana") -> tuple[Host, Credential]:
    host = Host(new_host_id(), name, time.time())
    return host, Credential(name.encode() * 4, host.id, b"cose-key", 0)


def test_a_link_enrols_once(new_store: NewStore):
    async def body(store: HostStore) -> list[str]:
        await store.add_enrolment(token_hash("t"), "Ana", time.time() + 60)
        outcomes = [await store.enrol(token_hash("t"), time.time(), *a_host()) for _ in range(2)]
        return [*outcomes, len(await store.hosts())]

    assert run(new_store, body) == ["ok", "used", 1]


def test_racing_enrolments_with_one_link_add_one_host(new_store: NewStore):
    async def body(store: HostStore) -> list[object]:
        other = new_store()  # a second instance on the same file or Redis
        await other.start()
        await store.add_enrolment(token_hash("t"), "Ana", time.time() + 60)
        tries = [
            s.enrol(token_hash("t"), time.time(), *a_host(f"H{n}"))
            for n, s in enumerate([store, other] * 5)
        ]
        outcomes = await asyncio.gather(*tries)
        await other.close()
        return [sorted(outcomes), len(await store.hosts())]

    assert run(new_store, body) == [["ok"] + ["used"] * 9, 1]


def test_expired_and_unknown_links_change_nothing(new_store: NewStore):
    async def body(store: HostStore) -> list[object]:
        await store.add_enrolment(token_hash("old"), "Ana", time.time() - 1)
        expired = await store.enrol(token_hash("old"), time.time(), *a_host())
        unknown = await store.enrol(token_hash("never"), time.time(), *a_host())
        enrolment = await store.enrolment(token_hash("old"))
        return [expired, unknown, await store.hosts(), enrolment and enrolment.used]

    assert run(new_store, body) == ["expired", "unknown", [], False]


def test_a_challenge_is_taken_once_for_its_purpose_until_it_expires(new_store: NewStore):
    async def body(store: HostStore) -> list[object]:
        now = time.time()
        await store.put_challenge(b"c1", "sign-in", now + 60, "data")
        await store.put_challenge(b"c2", "sign-in", now + 0.05, "")
        wrong_purpose = await store.take_challenge(b"c1", "enrol", now)
        first = await store.take_challenge(b"c1", "sign-in", now)
        replay = await store.take_challenge(b"c1", "sign-in", now)
        await asyncio.sleep(0.2)
        late = await store.take_challenge(b"c2", "sign-in", time.time())
        return [wrong_purpose, first, replay, late]

    assert run(new_store, body) == [None, "data", None, None]


def test_removing_a_host_removes_their_passkeys(new_store: NewStore):
    async def body(store: HostStore) -> list[object]:
        await store.add_enrolment(token_hash("a"), "Ana", time.time() + 60)
        await store.add_enrolment(token_hash("b"), "Bo", time.time() + 60)
        (ana, ana_key), (bo, bo_key) = a_host("Ana"), a_host("Bo")
        await store.enrol(token_hash("a"), time.time(), ana, ana_key)
        await store.enrol(token_hash("b"), time.time(), bo, bo_key)
        await store.update_sign_count(ana_key.id, 7)
        counted = await store.credential(ana_key.id)
        removed = [await store.remove_host(ana.id), await store.remove_host(ana.id)]
        await store.update_sign_count(ana_key.id, 8)  # a late sign-in brings nothing back
        return [
            counted and counted.sign_count,
            removed,
            await store.credential(ana_key.id),
            await store.credentials(ana.id),
            [host.name for host in await store.hosts()],
            await store.credentials(bo.id) == [bo_key],
        ]

    assert run(new_store, body) == [7, [True, False], None, [], ["Bo"], True]


def test_hosts_outlive_the_store_object(new_store: NewStore):
    host, key = a_host("Ana")

    async def enrol(store: HostStore) -> object:
        await store.add_enrolment(token_hash("t"), "Ana", time.time() + 60)
        return await store.enrol(token_hash("t"), time.time(), host, key)

    async def look(store: HostStore) -> object:
        return [await store.host(host.id), await store.credential(key.id)]

    assert run(new_store, enrol) == "ok"
    assert run(new_store, look) == [host, key]
