"""`python -m bench`: call set-up, signaling capacity and client weight, as JSON and a table.

    python -m bench                      everything (what `make bench` runs)
    python -m bench capacity --rates 2000,4000
    python -m bench --quick --out /tmp/b a tiny run of every tool (the smoke test's)
    python -m bench --broker redis://...  pass VISAVIS_BROKER_URL to the servers it starts
    python -m bench soak --minutes 30    the soak (never in the default run; bench/soak.py)

Results go to bench/results/<name>.json (call-setup, capacity, client-weight).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from . import callsetup, capacity, common, report, soak, weight

PARTS = ("call-setup", "capacity", "client-weight")


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "parts",
        nargs="*",
        default=[],
        metavar="PART",
        help=f"some of {', '.join(PARTS)} (default: all)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes: checks the tools work, the figures mean nothing",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=common.RESULTS_DIR,
        help="folder for the JSON results (default: bench/results)",
    )
    parser.add_argument(
        "--broker", default=None, help="VISAVIS_BROKER_URL for the servers started (Redis hub)"
    )
    parser.add_argument("--calls", type=int, default=20, help="calls without relay")
    parser.add_argument("--relay-calls", type=int, default=20, help="calls through coturn")
    parser.add_argument(
        "--recovery-calls", type=int, default=5, help="direct calls that also time recoveries"
    )
    parser.add_argument(
        "--probe-rtp", action="store_true", help="split connected -> first frame with getStats()"
    )
    parser.add_argument(
        "--levels",
        type=_numbers,
        default=(1000, 5000, 10000),
        help="connection counts to hold, comma-separated",
    )
    parser.add_argument(
        "--rates",
        type=_numbers,
        default=(1000, 5000, 10000),
        help="signal frames per second, comma-separated",
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="recorded seconds per rate")
    parser.add_argument("--workers", type=int, default=2, help="load generator processes")
    parser.add_argument(
        "--handshake",
        choices=("browser", "plain"),
        default="browser",
        help="browser: offer permessage-deflate as Chromium does (default); plain: no extension",
    )
    parser.add_argument(
        "--server-dir",
        type=Path,
        default=None,
        help="run `python -m signaling` (and its frontend/) from this tree "
        "instead, to compare a patch",
    )
    parser.add_argument(
        "--no-search",
        action="store_true",
        help="skip the search for the highest rate with p99 under 10 ms",
    )
    args = parser.parse_args(argv)
    for part in args.parts:
        if part not in PARTS:
            parser.error(f"unknown part {part!r}: choose from {', '.join(PARTS)}")
    if args.quick:
        args.calls, args.relay_calls = min(args.calls, 1), min(args.relay_calls, 1)
        args.recovery_calls = min(args.recovery_calls, 1)
        args.levels, args.rates, args.seconds, args.no_search = (20,), (200,), 0.5, True
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["soak"]:
        return soak.main(argv[1:])
    args = parse(argv)
    parts = args.parts or list(PARTS)
    started = time.monotonic()
    written = []
    with tempfile.TemporaryDirectory(prefix="visavis-bench-") as scratch:
        workdir = Path(scratch)
        if "client-weight" in parts:
            print("client weight", flush=True)
            load = os.getloadavg()
            body = weight.run(workdir, broker=args.broker, server_dir=args.server_dir)
            written.append(common.write_result("client-weight", body, args.out, load))
        if "call-setup" in parts:
            print("call set-up", flush=True)
            load = os.getloadavg()
            body = callsetup.run(
                args.calls,
                args.relay_calls,
                workdir,
                broker=args.broker,
                log=lambda line: print(line, flush=True),
                warmup=not args.quick,
                server_dir=args.server_dir,
                probe_rtp=args.probe_rtp,
                recovery_calls=args.recovery_calls,
            )
            written.append(common.write_result("call-setup", body, args.out, load))
        if "capacity" in parts:
            print("signaling capacity", flush=True)
            load = os.getloadavg()
            plan = capacity.CapacityPlan(
                levels=args.levels,
                rates=args.rates,
                workers=args.workers,
                seconds=args.seconds,
                warmup=0.2 if args.quick else 1.0,
                search=not args.no_search,
                settle=0.5 if args.quick else 2.0,
                handshake=args.handshake,
                broker=args.broker,
                server_dir=args.server_dir,
            )
            if args.quick:  # a smoke run does not wait for a quiet machine
                plan.quiet_wait_budget, plan.disturbed_retries = 0.0, 0
            body = capacity.run(plan, workdir, log=lambda line: print(line, flush=True))
            written.append(common.write_result("capacity", body, args.out, load))
    print()
    print(report.render(report.load(args.out)))
    if "call-setup" in parts:
        print()
        print(report.render_phases(report.load(args.out)))
    print()
    for path in written:
        print(f"wrote {path}")
    print(f"in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
