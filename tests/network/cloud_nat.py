"""The NAT lab's server behind a cloud provider's 1:1 NAT: the public address lives on the
provider's router, which maps it to the server's private address, and does not loop the
server's own packets to its public address back in (no hairpin, like cloud NATs).

    homes ── routers ── internet (br0) ── cloudnat: wan 203.0.113.10 | lan 198.18.10.1
                                                        1:1 NAT         │
                                          server 198.18.10.10 (coturn, signaling)

The server namespace counts the UDP bytes it receives and sends (nftables counters), so a
test can say what a relayed call costs in traffic.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.network.lab import (
    INTERNET,
    SERVER,
    HomeNetwork,
    Lab,
    add_namespace,
    ip,
    nat_lab,
    run_in,
)

PRIVATE = "198.18.10.10"  # the server's own address, the only one on its interface
CLOUD_GATEWAY = "198.18.10.1"


@dataclass
class CloudLab:
    lab: Lab
    server: str  # the namespace holding PRIVATE, where coturn and signaling run
    router: str

    def counters_command(self) -> list[str]:
        """The command printing the server's traffic counters as nftables JSON."""
        return ["ip", "netns", "exec", self.server, "nft", "-j", "list", "counters"]


def udp_bytes(listing: dict) -> dict[str, int]:
    """{"received": bytes, "sent": bytes} of UDP on the server's interface, from the JSON of
    `CloudLab.counters_command()`."""
    found = {}
    for item in listing["nftables"]:
        counter = item.get("counter")
        if counter and counter["name"] in ("udp_received", "udp_sent"):
            found[counter["name"].removeprefix("udp_")] = counter["bytes"]
    return found


@contextmanager
def cloud_nat_lab(homes: tuple[HomeNetwork, HomeNetwork]) -> Iterator[CloudLab]:
    """The NAT lab with the server moved behind a 1:1 NAT router; gone when this returns."""
    with nat_lab(homes) as lab:
        # The public address moves from the internet's bridge to the provider's router.
        ip(lab.internet, "addr", "del", f"{SERVER}/24", "dev", "br0")
        router = add_namespace(lab, "cloudnat")
        server = add_namespace(lab, "server")
        ip(router, "link", "add", "wan", "type", "veth", "peer", "name", "upcloud")
        ip(router, "link", "set", "upcloud", "netns", lab.internet)
        ip(lab.internet, "link", "set", "upcloud", "master", "br0")
        ip(lab.internet, "link", "set", "upcloud", "up")
        ip(router, "addr", "add", f"{SERVER}/24", "dev", "wan")
        ip(router, "link", "set", "wan", "up")
        ip(router, "link", "add", "lan", "type", "veth", "peer", "name", "eth0", "netns", server)
        ip(router, "addr", "add", f"{CLOUD_GATEWAY}/24", "dev", "lan")
        ip(router, "link", "set", "lan", "up")
        ip(server, "addr", "add", f"{PRIVATE}/24", "dev", "eth0")
        ip(server, "link", "set", "eth0", "up")
        ip(server, "route", "add", INTERNET, "via", CLOUD_GATEWAY)
        run_in(router, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        _nft(router, _ONE_TO_ONE_NAT)
        _nft(server, _COUNTERS)
        yield CloudLab(lab, server, router)


_ONE_TO_ONE_NAT = f"""
table ip cloud {{
    chain prerouting {{
        # Only what comes from the internet is mapped in: no hairpin.
        type nat hook prerouting priority dstnat; policy accept;
        iifname "wan" ip daddr {SERVER} dnat to {PRIVATE}
    }}
    chain postrouting {{
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wan" ip saddr {PRIVATE} snat to {SERVER}
    }}
    chain forward {{
        type filter hook forward priority filter; policy drop;
        iifname "wan" oifname "lan" ip daddr {PRIVATE} accept
        iifname "lan" oifname "wan" ip saddr {PRIVATE} accept
    }}
    chain input {{
        # The server's own packets to its public address end here, unanswered.
        type filter hook input priority filter; policy drop;
    }}
}}
"""
_COUNTERS = """
table ip traffic {
    counter udp_received {
        packets 0 bytes 0
    }
    counter udp_sent {
        packets 0 bytes 0
    }
    chain input {
        type filter hook input priority filter; policy accept;
        iifname "eth0" meta l4proto udp counter name "udp_received"
    }
    chain output {
        type filter hook output priority filter; policy accept;
        oifname "eth0" meta l4proto udp counter name "udp_sent"
    }
}
"""


def _nft(namespace: str, ruleset: str) -> None:
    done = subprocess.run(
        ["ip", "netns", "exec", namespace, "nft", "-f", "-"],
        input=ruleset,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"nft in {namespace}: {done.stderr.strip()}")
