"""Prometheus metrics of one signaling process (served on /metrics with a bearer token)."""

from __future__ import annotations

from collections.abc import Iterator

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

    def watch_rooms(self, rooms: RoomRegistry) -> None:
        self.registry.register(_RoomStates(rooms))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _RoomStates(Collector):
    """Rooms by state, counted when scraped (no bookkeeping on the hot path)."""

    def __init__(self, rooms: RoomRegistry) -> None:
        self.rooms = rooms

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = dict.fromkeys(("empty", "waiting", "in-call", "reconnecting"), 0)
        for room in list(self.rooms.rooms.values()):
            if not room.seats:
                counts["empty"] += 1
            elif any(seat.member is None for seat in room.seats):
                counts["reconnecting"] += 1
            elif len(room.seats) == 1:
                counts["waiting"] += 1
            else:
                counts["in-call"] += 1
        family = GaugeMetricFamily("visavis_rooms", "Rooms by state", labels=["state"])
        for state, count in counts.items():
            family.add_metric([state], count)
        yield family
