"""Prometheus metrics of one signaling process (served on /metrics with a bearer token)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .rooms import RoomRegistry

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.connections = Gauge("visavis_connections", "Open signaling sockets", registry=r)
        self.joins = Counter(
            "visavis_joins", "Create and join requests by outcome", ["outcome"], registry=r
        )
        self.errors = Counter("visavis_errors", "Error frames sent, by code", ["code"], registry=r)
        self.relayed_messages = Counter(
            "visavis_relayed_messages", "Signal frames relayed to a peer", registry=r
        )
        self.relayed_bytes = Counter(
            "visavis_relayed_bytes", "Payload bytes of relayed signal frames", registry=r
        )
        self.resumes = Counter(
            "visavis_resumes", "Seats taken back with a resume token", registry=r
        )
        self.rate_limited = Counter(
            "visavis_rate_limited", "Requests refused by an abuse limit", ["limit"], registry=r
        )
        self.disconnects = Counter(
            "visavis_forced_disconnects", "Sockets closed by the server, by reason", ["reason"],
            registry=r,
        )  # fmt: skip

    def watch_rooms(self, count: Callable[[], dict[str, int]]) -> None:
        """Report `visavis_rooms` by state from `count()` at each scrape (no bookkeeping on
        the hot path)."""
        self.registry.register(_RoomStates(count))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


ROOM_STATES = ("empty", "waiting", "in-call", "reconnecting")


def count_room_states(rooms: RoomRegistry) -> dict[str, int]:
    """The in-process rooms by state."""
    counts = dict.fromkeys(ROOM_STATES, 0)
    for room in list(rooms.rooms.values()):
        if not room.seats:
            counts["empty"] += 1
        elif any(seat.member is None for seat in room.seats):
            counts["reconnecting"] += 1
        elif len(room.seats) == 1:
            counts["waiting"] += 1
        else:
            counts["in-call"] += 1
    return counts


class _RoomStates(Collector):
    def __init__(self, count: Callable[[], dict[str, int]]) -> None:
        self.count = count

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("visavis_rooms", "Rooms by state", labels=["state"])
        for state, number in self.count().items():
            family.add_metric([state], number)
        yield family
