"""Prometheus metrics of one signaling process (served on /metrics with a bearer token)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.metrics_core import Metric

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class SandboxedProcessCollector(ProcessCollector):
    """prometheus_client's `process_*` series, also under systemd's `ProcSubset=pid` (the
    deployed unit), which hides /proc/stat: the library reads the boot time there for
    `process_start_time_seconds` and, without it, reports nothing at all. Here only that one
    series is left out. `proc` and `pid` as for ProcessCollector (tests point them elsewhere)."""

    def __init__(self, pid: Callable[[], int | str] = lambda: "self", proc: str = "/proc") -> None:
        super().__init__(pid=pid, proc=proc, registry=None)
        self._boot_time_hidden = not self._btime
        if self._boot_time_hidden:
            self._btime = 1  # anything true: the library's collect() then reads the rest

    def collect(self) -> Iterable[Metric]:
        families = super().collect()
        if self._boot_time_hidden:
            families = [f for f in families if f.name != "process_start_time_seconds"]
        return families


class Metrics:
    """The counters and gauges of one process, in a registry of their own. The app makes one
    and hands it to the hub and the sessions."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._broker_registered = False
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
            "visavis_forced_disconnects",
            "Sockets closed by the server, by reason",
            ["reason"],
            registry=r,
        )

        # Set from the hub's count at each scrape: no bookkeeping on the hot path.
        self.rooms = Gauge("visavis_rooms", "Rooms by state", ["state"], registry=r)
        # Only with the Redis hub (VISAVIS_BROKER_URL): registered at the first scrape that
        # reports a broker, so the in-process hub exports no misleading 0.
        self.broker_up = Gauge(
            "visavis_broker_up",
            "1 while Redis answers this instance, 0 while it is lost",
            registry=None,
        )
        # Only with VISAVIS_CERTIFICATE_ENDPOINTS; set by the certificate watcher.
        self.certificate_expiry = Gauge(
            "visavis_certificate_expiry_timestamp_seconds",
            "When the TLS certificate an endpoint presents expires (Unix time)",
            ["endpoint"],
            registry=r,
        )
        self.certificate_check_success = Gauge(
            "visavis_certificate_check_success",
            "1 if the endpoint's last TLS handshake gave a certificate, else 0",
            ["endpoint"],
            registry=r,
        )
        # Only with VISAVIS_TURN_CHECK; set by the TURN allocation check.
        self.turn_allocation_success = Gauge(
            "visavis_turn_allocation_success",
            "1 if the last allocation asked of a turn: URL was granted, else 0",
            ["url"],
            registry=r,
        )
        self.turn_allocation_refusals = Counter(
            "visavis_turn_allocation_refusals",
            "Allocation checks refused, by STUN error code (or no-answer)",
            ["url", "reason"],
            registry=r,
        )
        # process_resident_memory_bytes, process_open_fds, process_cpu_seconds_total, ...
        r.register(SandboxedProcessCollector())

    def exposition(self, rooms: Mapping[str, int], broker_up: bool | None = None) -> bytes:
        """The Prometheus text format of every metric, with `visavis_rooms` set from `rooms`
        (rooms by state, as `Hub.count_rooms` gives them) and `visavis_broker_up` from
        `broker_up` (None: no broker, the series stays absent)."""
        for state, number in rooms.items():
            self.rooms.labels(state).set(number)
        if broker_up is not None:
            if not self._broker_registered:
                self.registry.register(self.broker_up)
                self._broker_registered = True
            self.broker_up.set(1 if broker_up else 0)
        return generate_latest(self.registry)
