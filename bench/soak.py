"""Soak: hold idle sockets while rooms are created, joined and left at a steady rate, and
watch the server's memory and file descriptors over time.

    python -m bench soak --minutes 30                 5,000 idle sockets, 50 rooms/s
    python -m bench soak --minutes 3 --idle 2000 --empty-room-ttl 30

The idle sockets are members of held rooms (bench/loadgen.py processes, as capacity uses);
the churn (bench/churn.py) runs in this process: per room a creator (`create`), a joiner
(`join`), the joiner's `leave` (the creator hears `peer-left`), the creator's `leave`, both
sockets closed. Server RSS and open descriptors come from /proc every `--sample-every`
seconds, and once more after the churn, when its empty rooms have expired (at most a minute
later); error frames are counted as the clients saw them and as the server's /metrics
counted them. Stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import common
from .capacity import ONE_ADDRESS_LIMITS, Worker, _split
from .churn import ROOM_TIMEOUT, Churn, guarded
from .loadgen import Generator, raise_open_files_limit
from .soak_readings import METRICS_TOKEN, drift, open_fds, scrape, series

# Error frames a client may see in this scenario without anything being wrong: none.
EXPECTED_ERRORS: frozenset[str] = frozenset()
DEFAULT_EMPTY_ROOM_TTL = 600.0  # the server's VISAVIS_EMPTY_ROOM_TTL
SETTLE_LIMIT = 60.0  # seconds waited after the churn for its empty rooms to expire


@dataclass
class SoakPlan:
    minutes: float = 30.0
    idle: int = 5000  # sockets held open (idle // 2 rooms) for the whole run
    rooms_per_second: float = 50.0
    sample_every: float = 10.0  # seconds between readings of the server
    empty_room_ttl: float | None = None  # VISAVIS_EMPTY_ROOM_TTL; None: the server's default
    workers: int = 2
    broker: str | None = None
    server_dir: Path | None = None
    env: dict[str, str] = field(default_factory=lambda: dict(ONE_ADDRESS_LIMITS))


def _sample(server: common.Server, since: float, churn: Churn) -> dict:
    """/proc readings of the server, and its socket and empty-room counts from /metrics
    (None when it did not answer /metrics in time)."""
    exposition = scrape(server.url)
    return {
        "t": round(time.monotonic() - since, 1),
        "rss_kib": common.rss_kib(server.pid),
        "open_fds": open_fds(server.pid),
        "connections": None
        if exposition is None
        else int(series(exposition, "visavis_connections").get("", 0)),
        "rooms_empty": None
        if exposition is None
        else int(series(exposition, "visavis_rooms", "state").get("empty", 0)),
        "rooms_completed": churn.completed,
    }


async def _churn_and_sample(server: common.Server, plan: SoakPlan, log) -> tuple[Churn, list]:
    """Start rooms on an absolute schedule for plan.minutes, reading the server meanwhile."""
    generator = Generator(server.ws_url)
    churn, samples, tasks = Churn(), [], set()
    interval = 1.0 / plan.rooms_per_second
    seconds = plan.minutes * 60
    started = time.monotonic()
    next_sample = started
    started_rooms = 0
    while (now := time.monotonic()) < started + seconds:
        if now >= next_sample:
            sample = await asyncio.to_thread(_sample, server, started, churn)
            samples.append(sample)
            log(
                f"  {sample['t']:>6.0f} s: RSS {sample['rss_kib']} KiB, "
                f"{sample['open_fds']} fds, {sample['connections']} sockets, "
                f"{sample['rooms_empty']} empty rooms, {churn.completed} rooms done"
            )
            next_sample += plan.sample_every
        due = int((now - started) / interval) + 1
        while started_rooms < due:
            started_rooms += 1
            if churn.in_flight >= 2 * plan.rooms_per_second:
                churn.skipped += 1
                continue
            task = asyncio.create_task(guarded(generator, churn))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.sleep(min(interval, 0.01))
    if tasks:
        await asyncio.wait(tasks, timeout=ROOM_TIMEOUT + 1)
    await asyncio.sleep(1.0)  # the last sockets' close reaches the server
    samples.append(await asyncio.to_thread(_sample, server, started, churn))
    # Then let the churn's empty rooms expire (bounded): what is left is what it retained.
    await asyncio.sleep(min(_empty_room_ttl(plan) + 5, SETTLE_LIMIT))
    settled = await asyncio.to_thread(_sample, server, started, churn)
    samples.append({**settled, "settled": True})
    return churn, samples


def _empty_room_ttl(plan: SoakPlan) -> float:
    return DEFAULT_EMPTY_ROOM_TTL if plan.empty_room_ttl is None else plan.empty_room_ttl


def run(plan: SoakPlan, workdir: Path, log=print) -> dict:
    raise_open_files_limit()  # the server and the generators inherit it
    env = {**plan.env, "VISAVIS_METRICS_TOKEN": METRICS_TOKEN}
    if plan.empty_room_ttl is not None:
        env["VISAVIS_EMPTY_ROOM_TTL"] = str(plan.empty_room_ttl)
    with common.signaling_server(
        workdir, broker=plan.broker, env=env, server_dir=plan.server_dir
    ) as server:
        baseline = common.rss_kib(server.pid)
        workers = [Worker(server.ws_url) for _ in range(plan.workers)]
        try:
            shares = _split(plan.idle // 2, plan.workers)
            for worker, share in zip(workers, shares, strict=True):
                worker.send({"cmd": "grow", "rooms": share})
            grown = [worker.read() for worker in workers]
            held = sum(reply["sockets"] for reply in grown)
            log(f"server pid {server.pid}: {held} idle sockets held; churn for {plan.minutes} min")
            before = scrape(server.url, tries=3, timeout=30) or ""
            churn, samples = _run_loop(_churn_and_sample(server, plan, log))
            after = scrape(server.url, tries=3, timeout=30) or ""
        finally:
            for worker in workers:
                worker.quit()
    errors_before = series(before, "visavis_errors_total", "code")
    server_errors = {
        code: int(n - errors_before.get(code, 0))
        for code, n in series(after, "visavis_errors_total", "code").items()
        if n > errors_before.get(code, 0)
    }
    seen = Counter(churn.error_frames) + Counter(server_errors)
    ttl = _empty_room_ttl(plan)
    # Empty rooms pile up until they expire: steady state starts a little after one TTL.
    steady_from = min(ttl + 2 * plan.sample_every, plan.minutes * 60 / 2)
    return {
        "server": {
            "command": "python -m signaling",
            "broker": plan.broker,
            "baseline_rss_kib": baseline,
        },
        "plan": {
            "minutes": plan.minutes,
            "idle_sockets": plan.idle,
            "rooms_per_second": plan.rooms_per_second,
            "sample_every_s": plan.sample_every,
            "empty_room_ttl_s": ttl,
        },
        "idle": {
            "held": held,
            "connect_errors": sum(reply["errors"] for reply in grown),
            "connections_at_end": samples[-2]["connections"],
        },
        "churn": {
            "rooms_completed": churn.completed,
            "rooms_per_second": round(churn.completed / (plan.minutes * 60), 1),
            "skipped_behind_schedule": churn.skipped,
            "failures": dict(churn.failures),
            "error_frames_seen": dict(churn.error_frames),
            "cycle_ms": common.summary(churn.cycle_ms),
        },
        # False: the server never answered /metrics (starved); its own counts are missing.
        "server_metrics_read": bool(before and after),
        "server_error_frames": server_errors,
        "unexpected_errors": {code: n for code, n in seen.items() if code not in EXPECTED_ERRORS},
        "forced_disconnects": {
            reason: int(n)
            for reason, n in series(after, "visavis_forced_disconnects_total", "reason").items()
        },
        "drift": drift([s for s in samples if not s.get("settled")], steady_from),
        # Idle sockets only, before the churn and after it settled: what the churn left behind.
        "retained": {
            key: samples[-1][key] - samples[0][key]
            for key in ("rss_kib", "open_fds", "connections", "rooms_empty")
            if samples[-1][key] is not None and samples[0][key] is not None
        },
        "samples": samples,
    }


def _run_loop(work):
    """Run `work` on uvloop when installed (as the load generators do), else asyncio."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(work)
    return uvloop.run(work)


def summary_lines(result: dict) -> list[str]:
    """The soak's figures in a few sentences."""
    churn, drift_ = result["churn"], result["drift"]
    rss, fds = drift_["rss_kib"], drift_["open_fds"]
    return [
        f"idle sockets held: {result['idle']['held']} "
        f"(server counted {result['idle']['connections_at_end']} at the end)",
        f"rooms created, joined and left: {churn['rooms_completed']} "
        f"({churn['rooms_per_second']}/s), failures {sum(churn['failures'].values())}, "
        f"skipped {churn['skipped_behind_schedule']}, cycle {churn['cycle_ms']}",
        f"unexpected error frames: {result['unexpected_errors'] or 'none'}"
        + ("" if result["server_metrics_read"] else " (clients' view only: /metrics unread)"),
        f"RSS from {drift_['from_s']} s to {drift_['to_s']} s: {rss['first']} -> {rss['last']} KiB "
        f"({rss['change']:+d} KiB, {rss['per_minute']} KiB/min)",
        f"open fds over the same: {fds['first']} -> {fds['last']} ({fds['change']:+d}, "
        f"{fds['per_minute']}/min)",
        f"after the churn settled, against before it: {result['retained']}",
    ]


def main(argv: list[str]) -> int:
    """`python -m bench soak ...`: run, write bench/results/soak.json, print the figures."""
    parser = argparse.ArgumentParser(
        prog="python -m bench soak",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--minutes", type=float, default=30.0, help="churn time (default 30)")
    parser.add_argument("--idle", type=int, default=5000, help="idle sockets held (default 5000)")
    parser.add_argument("--rooms-per-second", type=float, default=50.0, help="default 50")
    parser.add_argument("--sample-every", type=float, default=10.0, help="seconds (default 10)")
    parser.add_argument(
        "--empty-room-ttl",
        type=float,
        default=None,
        help="VISAVIS_EMPTY_ROOM_TTL for the server (default: its own, 600 s)",
    )
    parser.add_argument("--broker", default=None, help="VISAVIS_BROKER_URL (Redis hub)")
    parser.add_argument("--out", type=Path, default=common.RESULTS_DIR, help="results folder")
    args = parser.parse_args(argv)
    plan = SoakPlan(
        minutes=args.minutes,
        idle=args.idle,
        rooms_per_second=args.rooms_per_second,
        sample_every=args.sample_every,
        empty_room_ttl=args.empty_room_ttl,
        broker=args.broker,
    )
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="visavis-soak-") as scratch:
        result = run(plan, Path(scratch), log=lambda line: print(line, flush=True))
    path = common.write_result("soak", result, args.out, load)
    print(*summary_lines(result), f"wrote {path}", sep="\n")
    return 0
