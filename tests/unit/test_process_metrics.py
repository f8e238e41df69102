"""The process' memory and descriptors are exported also where systemd's ProcSubset=pid
hides /proc/stat (the deployed unit), which silences prometheus_client's own collector."""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import ProcessCollector

from signaling.metrics import SandboxedProcessCollector


def _names(collector) -> set[str]:
    return {family.name for family in collector.collect()}


def _sandboxed_proc(tmp_path: Path) -> str:
    """A /proc as ProcSubset=pid shows it: this process' directory, no /proc/stat."""
    (tmp_path / str(os.getpid())).symlink_to(f"/proc/{os.getpid()}")
    return str(tmp_path)


def test_the_library_alone_reports_nothing_without_proc_stat(tmp_path: Path) -> None:
    proc = _sandboxed_proc(tmp_path)
    assert _names(ProcessCollector(proc=proc, pid=os.getpid, registry=None)) == set()


def test_memory_cpu_and_descriptors_are_reported_without_proc_stat(tmp_path: Path) -> None:
    proc = _sandboxed_proc(tmp_path)
    names = _names(SandboxedProcessCollector(proc=proc, pid=os.getpid))
    assert {
        "process_resident_memory_bytes",
        "process_cpu_seconds",
        "process_open_fds",
        "process_max_fds",
    } <= names
    assert "process_start_time_seconds" not in names


def test_with_proc_stat_every_series_is_there() -> None:
    assert "process_start_time_seconds" in _names(SandboxedProcessCollector())
