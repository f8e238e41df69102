"""The operator's commands for hosts: `python -m signaling enrol|hosts|remove-host`.

They read the same VISAVIS_* settings as the service and open the same store (the SQLite
file under VISAVIS_STATE_DIR, or the Redis of VISAVIS_BROKER_URL), so they work while the
service runs; `make enrol HOST=...` runs `enrol` on a deployed host over SSH.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence

from .config import ConfigError, Settings
from .host_stores import host_store_for
from .hosts import HostStore, new_token, token_hash

COMMANDS = ("enrol", "hosts", "remove-host")
DEFAULT_HOURS = 24.0


def parser() -> argparse.ArgumentParser:
    commands = argparse.ArgumentParser(prog="python -m signaling", description=__doc__)
    verbs = commands.add_subparsers(dest="command", required=True)
    enrol = verbs.add_parser("enrol", help="print a one-time link that makes its opener a host")
    enrol.add_argument("--name", default="host", help="the host's name, shown on their passkey")
    enrol.add_argument(
        "--hours", type=float, default=DEFAULT_HOURS, help="the link expires after this long"
    )
    enrol.add_argument("--url", help="this server's address (default: VISAVIS_PUBLIC_URL)")
    verbs.add_parser("hosts", help="list the hosts: id, name, since, passkeys")
    remove = verbs.add_parser("remove-host", help="remove a host; their sign-ins end at once")
    remove.add_argument("host_id")
    return commands


def run(argv: Sequence[str], settings: Settings) -> int:
    """Run one command; the exit status. Raises ConfigError when no store is configured."""
    arguments = parser().parse_args(_id_as_given(argv))
    store = host_store_for(settings)
    if store is None:
        raise ConfigError("hosts are kept nowhere: set VISAVIS_STATE_DIR (or VISAVIS_BROKER_URL)")
    return asyncio.run(_run(arguments, settings, store))


def _id_as_given(argv: Sequence[str]) -> list[str]:
    """`remove-host ID` with "--" before ID: a host id is base64url and one in 64 begins
    with "-", which argparse would take for an option."""
    if len(argv) == 2 and argv[0] == "remove-host" and argv[1] not in ("-h", "--help"):
        return [argv[0], "--", argv[1]]
    return list(argv)


async def _run(arguments: argparse.Namespace, settings: Settings, store: HostStore) -> int:
    await store.start()
    try:
        if arguments.command == "enrol":
            if not 0 < arguments.hours <= 24 * 30:
                print("--hours must be more than 0 and at most 720 (30 days)")
                return 2
            token = new_token()
            await store.add_enrolment(
                token_hash(token), arguments.name, time.time() + arguments.hours * 3600
            )
            base = arguments.url or settings.public_url or f"https://localhost:{settings.port}"
            print(f"{base.rstrip('/')}/enrol#{token}")
            return 0
        if arguments.command == "hosts":
            for host in await store.hosts():
                since = time.strftime("%Y-%m-%d %H:%M", time.gmtime(host.created))
                passkeys = len(await store.credentials(host.id))
                print(f"{host.id}\t{host.name}\t{since} UTC\t{passkeys} passkey(s)")
            return 0
        if await store.remove_host(arguments.host_id):
            print(f"removed {arguments.host_id}: their sign-ins no longer start meetings")
            return 0
        print(f"no host {arguments.host_id!r}; `python -m signaling hosts` lists them")
        return 1
    finally:
        await store.close()
