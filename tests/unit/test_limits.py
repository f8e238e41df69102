"""The abuse limits' arithmetic, on a clock the test moves (no sleeping, no server)."""

from __future__ import annotations

import pytest

from signaling.limits import ConnectionCount, PerAddress, TokenBucket


class Clock:
    """Seconds that pass only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_a_bucket_allows_its_burst_then_says_how_long_to_wait():
    clock = Clock()
    bucket = TokenBucket(rate=2, burst=3, clock=clock)

    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == pytest.approx(0.5)  # one token at 2 per second
    assert bucket.take(2) == pytest.approx(1.0)


def test_a_refused_take_takes_nothing():
    clock = Clock()
    bucket = TokenBucket(rate=1, burst=2, clock=clock)
    bucket.take(2)

    assert bucket.take(2) == pytest.approx(2.0)
    clock.advance(1)
    assert bucket.take(2) == pytest.approx(1.0)  # the refusal did not dig a deeper hole
    clock.advance(1)
    assert bucket.take(2) == 0.0


def test_a_bucket_refills_with_time_but_never_beyond_its_burst():
    clock = Clock()
    bucket = TokenBucket(rate=10, burst=5, clock=clock)
    bucket.take(5)

    clock.advance(0.25)
    assert bucket.wait_time(2) == 0.0 and bucket.wait_time(3) == pytest.approx(0.05)
    assert not bucket.full
    clock.advance(3600)
    assert bucket.full
    assert bucket.wait_time(6) > 0  # an hour of refill still holds only `burst`


def test_wait_time_takes_nothing():
    bucket = TokenBucket(rate=1, burst=1, clock=Clock())

    assert bucket.wait_time() == 0.0
    assert bucket.wait_time() == 0.0
    assert bucket.take() == 0.0
    assert bucket.wait_time() == pytest.approx(1.0)


def test_each_address_has_its_own_allowance_per_minute():
    clock = Clock()
    limit = PerAddress(per_minute=3, clock=clock)

    assert [limit.take("198.51.100.1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limit.take("198.51.100.1") == pytest.approx(20.0)  # 3 a minute: one per 20 s
    assert limit.take("198.51.100.2") == 0.0
    assert limit.wait_time("203.0.113.9") == 0.0  # never seen: no wait
    clock.advance(20)
    assert limit.take("198.51.100.1") == 0.0


def test_forgetting_idle_addresses_keeps_the_busy_ones():
    clock = Clock()
    limit = PerAddress(per_minute=1, clock=clock)
    limit.take("198.51.100.1")
    clock.advance(1)

    # Enough other addresses to make the limit sweep its buckets, more than once.
    for number in range(5000):
        limit.take(f"198.18.{number // 256}.{number % 256}")
        clock.advance(0.001)

    assert limit.wait_time("198.51.100.1") > 0  # still counted, though many were forgotten
    clock.advance(60)
    assert limit.wait_time("198.51.100.1") == 0.0


def test_connections_are_counted_per_address_and_given_back():
    count = ConnectionCount(limit=2)

    assert count.acquire("198.51.100.1") and count.acquire("198.51.100.1")
    assert not count.acquire("198.51.100.1")
    assert count.acquire("198.51.100.2")
    count.release("198.51.100.1")
    assert count.acquire("198.51.100.1")
    assert not count.acquire("198.51.100.1")


def test_releasing_more_than_was_acquired_does_not_raise_the_limit():
    count = ConnectionCount(limit=1)
    count.release("198.51.100.1")

    assert count.acquire("198.51.100.1")
    assert not count.acquire("198.51.100.1")
