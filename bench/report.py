"""The short table of docs/performance.md, made from bench/results/*.json.

`python -m bench.report [DIR]` prints it (`--timeline`: a call's steps); `python -m bench`
prints it after a run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .common import RESULTS_DIR

# The targets. KB = 1000 bytes; the tools report RSS in KiB (1024 bytes).
TARGETS = {
    "setup_median_ms": 350,
    "rss_per_connection_kb": 35,
    "p99_at_5000_ms": 5,
    "p99_at_10000_ms": 10,
    "client_gzip_kb": 25,
}


def load(folder: Path) -> dict[str, dict]:
    found = {}
    for name in ("call-setup", "capacity", "client-weight"):
        path = folder / f"{name}.json"
        if path.is_file():
            found[name] = json.loads(path.read_text())
    return found


def _verdict(value: float | None, limit: float) -> str:
    if value is None:
        return "not measured"
    return "met" if value <= limit else "missed"


def rows(results: dict[str, dict]) -> list[tuple[str, str, str, str]]:
    """(measure, figure, target, verdict) for each line of the table."""
    table = []
    setup = results.get("call-setup", {})
    for mode, label in (("direct", "call set-up, loopback"), ("relay", "call set-up, via TURN")):
        part = setup.get(mode)
        if not part or not part["setup_ms"].get("count"):
            continue
        s = part["setup_ms"]
        figure = (
            f"median {s['median']:.0f} ms, p90 {s['p90']:.0f}, min {s['min']:.0f}, "
            f"max {s['max']:.0f} ({s['count']} calls, {part['failures']} failed)"
        )
        if mode == "direct":
            target = f"≤ {TARGETS['setup_median_ms']} ms median"
            table.append((label, figure, target, _verdict(s["median"], TARGETS["setup_median_ms"])))
        else:
            table.append((label, figure, "—", "figure only"))
    capacity = results.get("capacity")
    if capacity:
        for step in capacity["memory"]:
            kib = step["rss_per_connection_kib"]
            kb = None if kib is None else kib * 1.024
            at_max = step["connections"] >= 10000
            table.append(
                (
                    f"RSS per idle connection, {step['connections']:,} connections",
                    f"{kib:.1f} KiB ({kb:.1f} KB)" if kib is not None else "—",
                    f"≤ {TARGETS['rss_per_connection_kb']} KB at 10,000" if at_max else "—",
                    _verdict(kb, TARGETS["rss_per_connection_kb"]) if at_max else "figure only",
                )
            )
        limits = {5000: TARGETS["p99_at_5000_ms"], 10000: TARGETS["p99_at_10000_ms"]}
        for step in capacity["rates"]:
            latency = step["latency_ms"]
            figure = (
                f"p50 {latency['p50']} ms, p99 {latency['p99']} ms, max {latency['max']} ms;"
                if step["delivered"]
                else "nothing delivered within 2 s;"
            )
            figure += (
                f" server CPU {step['server_cpu_ms_per_1000_messages']} ms per 1,000"
                f" msgs; generator {step['generator_cpu_percent']} % of a core"
            )
            if step["lost_or_late"]:
                figure += f"; {step['lost_or_late']} not delivered within 2 s"
            if step.get("disturbed"):
                figure += (
                    f" (disturbed: other processes used "
                    f"{step['other_processes_cpu_percent']} % CPU)"
                )
            limit = limits.get(step["rate"])
            p99 = latency["p99"] if not step["lost_or_late"] else float("inf")
            connections = capacity["plan"]["connections_during_rates"]
            table.append(
                (
                    f"relay at {step['rate']:,} msg/s ({connections:,} connections)",
                    figure,
                    f"p99 ≤ {limit} ms" if limit else "—",
                    _verdict(p99, limit) if limit else "figure only",
                )
            )
        table.append(
            (
                "highest rate with p99 < 10 ms",
                f"{capacity['highest_rate_p99_under_10ms']:,} msg/s",
                "—",
                "figure only",
            )
        )
    weight = results.get("client-weight")
    if weight:
        kb = weight["html_js_css_gzip9_bytes"] / 1000
        table.append(
            (
                "client weight (HTML + JS + CSS)",
                f"{weight['html_js_css_bytes'] / 1000:.1f} KB raw, {kb:.1f} KB gzipped "
                f"({weight['html_js_css_gzip1_bytes'] / 1000:.1f} KB at gzip level 1); "
                f"{weight['requests']} requests",
                f"≤ {TARGETS['client_gzip_kb']} KB gzipped",
                _verdict(kb, TARGETS["client_gzip_kb"]),
            )
        )
    return table


def render(results: dict[str, dict]) -> str:
    lines = ["| measure | figure | target | |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(results)]
    return "\n".join(lines)


def render_timeline(results: dict[str, dict], mode: str = "direct") -> str:
    """Median time of each step of a call, ms after B opened the page."""
    steps = results.get("call-setup", {}).get(mode, {}).get("timeline_median_ms", {})
    lines = ["| ms | step |", "| ---: | --- |"]
    lines += [f"| {at:.0f} | {name} |" for name, at in steps.items()]
    return "\n".join(lines)


def main() -> None:
    args = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    folder = Path(args[0]) if args else RESULTS_DIR
    if "--timeline" in sys.argv:
        print(render_timeline(load(folder)))
    else:
        print(render(load(folder)))


if __name__ == "__main__":
    main()
