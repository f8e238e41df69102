"""Abuse limits: token buckets per socket and per client address.

A bucket holds up to `burst` tokens and refills at `rate` per second; an action that finds
too few tokens is refused with the seconds until it would succeed. No I/O: the clock is
`time.monotonic` unless one is given (the unit tests give their own)."""

from __future__ import annotations

import time
from collections.abc import Callable

from .config import Settings

Clock = Callable[[], float]  # seconds, only ever increasing


class TokenBucket:
    """`burst` tokens at first, refilled at `rate` tokens per second up to `burst`."""

    __slots__ = ("rate", "burst", "tokens", "stamp", "clock")

    def __init__(self, rate: float, burst: float, clock: Clock = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.clock = clock
        self.stamp = clock()

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_time(self, amount: float = 1.0) -> float:
        """Seconds until `amount` tokens are there (0 if they are now); takes nothing."""
        self._refill(self.clock())
        return 0.0 if self.tokens >= amount else (amount - self.tokens) / self.rate

    def take(self, amount: float = 1.0) -> float:
        """Take `amount` tokens if there; else take nothing and return the seconds to wait."""
        wait = self.wait_time(amount)
        if wait == 0.0:
            self.tokens -= amount
        return wait

    @property
    def full(self) -> bool:
        """Refilled to `burst`: forgetting the bucket changes nothing."""
        return self.wait_time(self.burst) == 0.0


class PerAddress:
    """One bucket per client address, `per_minute` actions each. Full buckets are forgotten
    now and then, so memory follows the addresses that are actually busy."""

    def __init__(self, per_minute: int, clock: Clock = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._sweep_at = 2 * 1024

    def _bucket(self, address: str) -> TokenBucket:
        bucket = self._buckets.get(address)
        if bucket is None:
            if len(self._buckets) >= self._sweep_at:
                self._sweep()
            bucket = self._buckets[address] = TokenBucket(
                self.per_minute / 60, self.per_minute, self._clock
            )
        return bucket

    def _sweep(self) -> None:
        self._buckets = {key: bucket for key, bucket in self._buckets.items() if not bucket.full}
        self._sweep_at = max(2 * 1024, 2 * len(self._buckets))

    def wait_time(self, address: str) -> float:
        """Seconds until `address` may act again (0 if now); takes nothing."""
        bucket = self._buckets.get(address)
        return 0.0 if bucket is None else bucket.wait_time()

    def take(self, address: str) -> float:
        """One action for `address` if its bucket allows, else the seconds to wait."""
        return self._bucket(address).take()


class ConnectionCount:
    """Open sockets per client address."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: dict[str, int] = {}

    def acquire(self, address: str) -> bool:
        """Count one more socket for `address`; False (and nothing counted) at the limit."""
        count = self._open.get(address, 0)
        if count >= self.limit:
            return False
        self._open[address] = count + 1
        return True

    def release(self, address: str) -> None:
        count = self._open.pop(address, 0) - 1
        if count > 0:
            self._open[address] = count


class AddressLimits:
    """The per-address limits of one process."""

    def __init__(self, settings: Settings) -> None:
        self.connections = ConnectionCount(settings.connections_per_ip)
        self.rooms = PerAddress(settings.rooms_per_minute)
        self.failed_joins = PerAddress(settings.failed_joins_per_minute)
        self.auth_attempts = PerAddress(settings.auth_attempts_per_minute)
