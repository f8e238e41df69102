"""What the soak reads from the server: its /metrics, its descriptors, and how a series of
readings drifted."""

from __future__ import annotations

import os
import re
import urllib.request

METRICS_TOKEN = "bench-soak"


def scrape(url: str, tries: int = 1, timeout: float = 10.0) -> str | None:
    """The server's /metrics text (the soak starts it with METRICS_TOKEN), or None when
    `tries` requests of `timeout` seconds each got no answer (a server starved of CPU)."""
    request = urllib.request.Request(
        f"{url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    for _ in range(tries):
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:
                return reply.read().decode()
        except OSError:
            continue
    return None


def series(exposition: str, name: str, label: str = "") -> dict[str, float]:
    """Samples of `name` by the value of `label` ("" for an unlabelled metric)."""
    found = {}
    for match in re.finditer(rf"^{name}(?:\{{([^}}]*)\}})? (\S+)$", exposition, re.MULTILINE):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
        found[labels.get(label, "")] = float(match.group(2))
    return found


def open_fds(pid: int) -> int:
    """Open file descriptors of a process (entries of /proc/PID/fd)."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def _slope_per_minute(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, value) points, per minute."""
    if len(points) < 2:
        return None
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return None
    return 60 * sum((t - mean_t) * (v - mean_v) for t, v in points) / var


def drift(samples: list[dict], steady_from: float) -> dict:
    """How RSS (KiB) and open descriptors moved over the samples taken at or after
    `steady_from` seconds: first, last, change, least-squares slope per minute."""
    steady = [s for s in samples if s["t"] >= steady_from] or samples[-2:]
    found: dict = {"from_s": steady[0]["t"], "to_s": steady[-1]["t"], "samples": len(steady)}
    for key in ("rss_kib", "open_fds"):
        slope = _slope_per_minute([(s["t"], s[key]) for s in steady])
        found[key] = {
            "first": steady[0][key],
            "last": steady[-1][key],
            "change": steady[-1][key] - steady[0][key],
            "per_minute": None if slope is None else round(slope, 1),
        }
    return found
