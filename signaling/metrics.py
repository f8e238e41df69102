"""Prometheus metrics of one signaling process (served on /metrics with a bearer token)."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    ProcessCollector,
    generate_latest,
)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


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
        # process_resident_memory_bytes, process_open_fds, process_cpu_seconds_total, ...
        ProcessCollector(registry=r)

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
