"""The short table of docs/performance.md, made from bench/results/*.json.

`python -m bench.report [DIR]` prints it (`--timeline`: every step's median, ms after the
guest opened the page; `--phases`: the guest's way in, ms after its Join now); `python -m
bench` prints both tables after a run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .common import RESULTS_DIR, summary

# The issues' targets. KB = 1000 bytes; the tools report RSS in KiB (1024 bytes).
TARGETS = {
    # issue 18: from the guest's "Join now" to both rendering, and the whole way in
    "join_now_median_ms": 250,
    "join_now_p90_ms": 350,
    "join_now_relay_median_ms": 350,
    "whole_way_in_median_ms": 450,
    "host_after_guest_median_ms": 0,
    # no slower than before issue 18 (the browser tests' figures then)
    "ice_restart_median_s": 0.32,
    "reload_resume_median_s": 1.0,
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
    table += _call_rows(results.get("call-setup", {}))
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
                "client weight, first load (HTML + JS + CSS)",
                f"{weight['html_js_css_bytes'] / 1000:.1f} KB raw, {kb:.1f} KB gzipped "
                f"({weight['html_js_css_gzip1_bytes'] / 1000:.1f} KB at gzip level 1); "
                f"{weight['requests']} requests",
                f"≤ {TARGETS['client_gzip_kb']} KB gzipped",
                _verdict(kb, TARGETS["client_gzip_kb"]),
            )
        )
    full = (weight or {}).get("full")
    if full:
        table.append(
            (
                "client weight, full (a meeting's lobby)",
                f"{full['html_js_css_bytes'] / 1000:.1f} KB raw, "
                f"{full['html_js_css_gzip9_bytes'] / 1000:.1f} KB gzipped; "
                f"{full['requests']} requests",
                "—",
                "figure only",
            )
        )
    return table


def _figure(s: dict, unit: str = "ms", digits: int = 0) -> str:
    return (
        f"median {s['median']:.{digits}f} {unit}, p90 {s['p90']:.{digits}f}, "
        f"min {s['min']:.{digits}f}, max {s['max']:.{digits}f}"
    )


def _call_rows(setup: dict) -> list[tuple[str, str, str, str]]:
    table = []
    for mode, where in (("direct", "loopback"), ("relay", "via TURN")):
        part = setup.get(mode)
        if not part or not part["setup_ms"].get("count"):
            continue
        calls = f" ({part['calls']} calls, {part['failures']} failed)"
        click = part.get("click_to_both_video_ms", {})
        if click.get("count"):
            if mode == "direct":
                limit, p90 = TARGETS["join_now_median_ms"], TARGETS["join_now_p90_ms"]
                target = f"median ≤ {limit} ms, p90 ≤ {p90} ms"
                verdict = _verdict(max(click["median"] - limit, click["p90"] - p90), 0)
            else:
                limit = TARGETS["join_now_relay_median_ms"]
                target, verdict = f"median ≤ {limit} ms", _verdict(click["median"], limit)
            table.append(
                (f"Join now → both render, {where}", _figure(click) + calls, target, verdict)
            )
        whole = part["setup_ms"]
        limit = TARGETS["whole_way_in_median_ms"]
        table.append(
            (
                f"whole way in (home page → both render), {where}",
                _figure(whole) + calls,
                f"median ≤ {limit} ms" if mode == "direct" else "—",
                _verdict(whole["median"], limit) if mode == "direct" else "figure only",
            )
        )
        later = part.get("host_after_guest_ms", {})
        if mode == "direct" and later.get("count"):
            table.append(
                (
                    "host's first frame minus the guest's",
                    _figure(later),
                    "median ≤ 0 ms",
                    _verdict(later["median"], TARGETS["host_after_guest_median_ms"]),
                )
            )
        for key, label in (
            ("ice_restart_s", "ICE restart → both connected again"),
            ("reload_resume_s", "guest reload → both decode again"),
        ):
            figures = part.get(key, {})
            if figures.get("count"):
                limit = TARGETS[key.replace("_s", "_median_s")]
                table.append(
                    (
                        f"{label}, {where}",
                        _figure(figures, "s", 2) + f" ({figures['count']} calls)",
                        f"median ≤ {limit} s (as before)",
                        _verdict(figures["median"], limit),
                    )
                )
    return table


# Steps of the guest's way in, in order, as the bench's page probe names them
# (bench/page_probe.js); "A:" is the host's page, "B:" the guest's.
PHASES = (
    ("B:join-now:click", "guest clicks Join now"),
    ("B:ws:open", "guest's socket open"),
    ("B:out:join", "guest sends join"),
    ("B:in:joined", "guest joined"),
    ("A:in:peer-joined", "host hears peer-joined"),
    ("A:out:signal:offer", "host's offer out"),
    ("B:in:signal:offer", "guest has the offer"),
    ("B:out:signal:answer", "guest's answer out"),
    ("A:in:signal:answer", "host has the answer"),
    ("B:ice:connected", "guest ICE connected"),
    ("A:ice:connected", "host ICE connected"),
    ("B:dtls:connected", "guest DTLS connected"),
    ("A:dtls:connected", "host DTLS connected"),
    ("B:rtp:first-video-sent", "guest's first video packet out (probe)"),
    ("A:rtp:first-video-sent", "host's first video packet out (probe)"),
    ("B:rtp:first-video-received", "guest's first video packet in (probe)"),
    ("A:rtp:first-video-received", "host's first video packet in (probe)"),
    ("B:rtp:first-frame-decoded", "guest decoded a frame (probe)"),
    ("A:rtp:first-frame-decoded", "host decoded a frame (probe)"),
    ("B:video:first-frame-received", "guest has the host's first whole frame"),
    ("A:video:first-frame-received", "host has the guest's first whole frame"),
    ("B:video:first-frame", "guest renders the host"),
    ("A:video:first-frame", "host renders the guest"),
)


def phases(part: dict) -> list[tuple[str, str, float, int]]:
    """(step, meaning, median ms after the guest's Join now click, calls that had it); a
    negative time happened before the click (made ready in the lobby)."""
    found = []
    for step, meaning in PHASES:
        times = [
            call["timeline_ms"][step] - call["timeline_ms"]["B:join-now:click"]
            for call in part.get("each", [])
            if step in call["timeline_ms"] and "B:join-now:click" in call["timeline_ms"]
        ]
        if times:
            found.append((step, meaning, summary(times)["median"], len(times)))
    return found


def render_phases(results: dict[str, dict]) -> str:
    """The guest's way in, step by step, for each mode measured."""
    lines = []
    for mode in ("direct", "relay"):
        part = results.get("call-setup", {}).get(mode)
        if not part:
            continue
        lines += [
            f"{mode}: ms after the guest's Join now (median over calls)",
            "",
            "| ms | step | | calls |",
            "| ---: | --- | --- | ---: |",
        ]
        lines += [
            f"| {at:.0f} | {meaning} | `{step}` | {count} |"
            for step, meaning, at, count in phases(part)
        ]
        lines.append("")
    return "\n".join(lines).rstrip()


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
    elif "--phases" in sys.argv:
        print(render_phases(load(folder)))
    else:
        print(render(load(folder)))


if __name__ == "__main__":
    main()
