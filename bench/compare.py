"""Two trees side by side from back-to-back call-setup runs (docs/performance.md).

    python -m bench.compare /tmp/ab/base-1,/tmp/ab/base-2 /tmp/ab/new-1,/tmp/ab/new-2

Each argument is a comma-separated list of result folders (`--out` of `python -m bench
call-setup`) of one tree; their calls are pooled, and each figure is the median over the
pooled calls, so runs made minutes apart on a shared machine weigh alike.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .common import summary
from .report import PHASES

HEADLINES = (
    ("click_to_both_video_ms", "Join now → both render, ms"),
    ("setup_ms", "whole way in, ms"),
    ("host_after_guest_ms", "host's first frame minus the guest's, ms"),
    ("ice_restart_s", "ICE restart → both connected, s"),
    ("reload_resume_s", "guest reload → both decode, s"),
)


def pooled(folders: list[Path], mode: str) -> list[dict]:
    """Every call of `mode` ("direct" or "relay") in the folders' call-setup.json."""
    calls = []
    for folder in folders:
        path = folder / "call-setup.json"
        if path.is_file():
            calls += json.loads(path.read_text()).get(mode, {}).get("each", [])
    return calls


def _median(values: list[float]) -> str:
    figures = summary(values, digits=3)
    return (
        f"{figures['median']:g} (p90 {figures['p90']:g}, n={figures['count']})" if values else "—"
    )


def render(a: list[Path], b: list[Path], mode: str = "direct") -> str:
    """Headline figures and each step of the guest's way in (ms after its Join now)."""
    left, right = pooled(a, mode), pooled(b, mode)
    lines = [
        f"{mode}: A = {', '.join(map(str, a))}; B = {', '.join(map(str, b))}",
        "",
        "| measure | A | B |",
        "| --- | ---: | ---: |",
    ]
    for key, label in HEADLINES:
        values = [[call[key] for call in calls if key in call] for calls in (left, right)]
        if any(values):
            lines.append(f"| {label} | {_median(values[0])} | {_median(values[1])} |")
    lines += ["", "| step (ms after Join now) | A | B |", "| --- | ---: | ---: |"]
    for step, meaning in PHASES:
        cells = []
        for calls in (left, right):
            times = [
                call["timeline_ms"][step] - call["timeline_ms"]["B:join-now:click"]
                for call in calls
                if step in call["timeline_ms"] and "B:join-now:click" in call["timeline_ms"]
            ]
            cells.append(f"{summary(times)['median']:.0f}" if times else "—")
        if cells != ["—", "—"]:
            lines.append(f"| {meaning} (`{step}`) | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    a, b = ([Path(part) for part in arg.split(",") if part] for arg in sys.argv[1:3])
    for mode in ("direct", "relay"):
        if pooled(a, mode) or pooled(b, mode):
            print(render(a, b, mode))
            print()


if __name__ == "__main__":
    main()
