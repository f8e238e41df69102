"""Shared pieces of the bench tools: /proc readings, percentiles, results files."""

from __future__ import annotations

import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

# The processes are the tests' own, so the bench measures what the tests exercise.
from tests.loopback import (  # noqa: F401
    REPO_ROOT,
    Server,
    free_port,
    free_udp_port,
    make_certificate,
    signaling_server,
    stop_process,
)

RESULTS_DIR = REPO_ROOT / "bench" / "results"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of values already sorted (fraction in 0..1)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def summary(values: list[float], digits: int = 1) -> dict[str, float | int]:
    ordered = sorted(values)
    if not ordered:
        return {"count": 0}
    return {
        "count": len(ordered),
        "median": round(percentile(ordered, 0.5), digits),
        "p90": round(percentile(ordered, 0.9), digits),
        "min": round(ordered[0], digits),
        "max": round(ordered[-1], digits),
    }


# --- /proc ---------------------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB (VmRSS from /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used (utime + stime of /proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


def machine_info(load_at_start: tuple[float, ...] | None = None) -> dict[str, object]:
    cpu_model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    return {
        "cpu": cpu_model,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        # 1, 5 and 15-minute load averages: the machine may be shared with other work.
        "load_average_at_start": [round(x, 2) for x in load_at_start or ()],
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }


def package_versions(*names: str) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def command_line() -> str:
    """How this process was started, as one would type it (`python -m bench ...`)."""
    argv = list(sys.argv)
    if argv and argv[0].endswith(("bench/__main__.py", "bench")):
        argv[:1] = ["-m", "bench"]
    return " ".join(shlex.quote(part) for part in ["python", *argv])


def write_result(
    name: str,
    body: Mapping[str, object],
    out_dir: Path,
    load_at_start: tuple[float, ...] | None = None,
) -> Path:
    """bench/results/<name>.json with when, where and how the figures were made."""
    document = {
        "benchmark": name,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": command_line(),
        "commit": git_commit(),
        "machine": machine_info(load_at_start),
        **body,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path
