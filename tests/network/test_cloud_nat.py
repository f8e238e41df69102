"""coturn behind a cloud provider's 1:1 NAT, both people relay-only: each relay sends to the
other's relayed address, i.e. the server's own public address, which the NAT does not loop
back. The deploy's one setting (coturn_external_ip: the public address; the role detects the
private one) makes it work; without the private part it fails (the negative control).

The working call is held for a minute, and the server's UDP byte counters say what a minute
of a relayed call costs in traffic (the figure docs/operating.md extrapolates)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.network import services
from tests.network.cloud_nat import PRIVATE, cloud_nat_lab, udp_bytes
from tests.network.conftest import CALL_TIMEOUT, Call, _drive, driver_spec
from tests.network.lab import SERVER, HomeNetwork

pytestmark = [pytest.mark.network, pytest.mark.timeout(CALL_TIMEOUT + 120)]

HOLD_SECONDS = 60
TURN = ("udp", "tcp", "tls")  # the URLs the deploy hands to browsers


def call_through_cloud_nat(
    folder: Path, coturn_variables: dict, timeout: float, hold_seconds: float = 0
) -> Call:
    """Render coturn with the lab's variables and `coturn_variables`, run it and signaling
    on the server behind the 1:1 NAT, and have two relay-only homes call. Returns
    what the browsers saw."""
    files = services.make_server_files(folder, **coturn_variables)
    ice = services.ice_settings(files, stun=True, turn=TURN)
    with (
        cloud_nat_lab((HomeNetwork(), HomeNetwork())) as cloud,
        services.coturn(cloud.server, files, folder),
        services.signaling(cloud.server, files, folder, ice, address=PRIVATE) as url,
    ):
        spec_file = driver_spec(
            cloud.lab,
            url,
            files,
            folder,
            timeout=timeout,
            relay_only=True,
            hold_seconds=hold_seconds,
            counters=cloud.counters_command(),
        )
        result = _drive(spec_file)
        homes = [home.public_address for home in cloud.lab.homes]
        return Call(result, homes)


def relay_candidates(side: dict) -> list[str]:
    """The relayed candidates one browser gathered: one allocation each, on its credential."""
    return [candidate for candidate in side["stats"]["gathered"] if candidate.startswith("relay ")]


def test_relay_only_people_call_through_coturn_behind_a_cloud_nat(tmp_path, measure):
    # What the deploy renders from `coturn_external_ip: 203.0.113.10` on a host whose
    # default-route address is PRIVATE (the role's detected coturn_private_ip).
    call = call_through_cloud_nat(
        tmp_path,
        {
            "coturn_listening_ips": [PRIVATE],
            "coturn_relay_ips": [],
            "coturn_external_ip": SERVER,
            "coturn_private_ip": PRIVATE,
        },
        timeout=30,
        hold_seconds=HOLD_SECONDS,
    )

    assert call.connected, call.result
    for side in call.sides:
        pair = call.pair(side)
        assert (pair["local"]["type"], pair["remote"]["type"]) == ("relay", "relay"), pair
        # Both relayed addresses are the public one: coturn never shows its private address.
        assert pair["local"]["address"] == pair["remote"]["address"] == SERVER, pair
        assert side["remote_frames"] > 0
    held = call.result["held"]
    start, end = udp_bytes(held["start"]["counters"]), udp_bytes(held["end"]["counters"])
    per_minute = {k: (end[k] - start[k]) * 60 / held["seconds"] for k in ("received", "sent")}
    frames = {
        name: held["end"][name]["framesDecoded"] - held["start"][name]["framesDecoded"]
        for name in ("host", "guest")
    }
    assert min(frames.values()) > 0, frames  # media flowed the whole minute
    assert per_minute["sent"] > 0 and per_minute["received"] > 0
    measure(
        f"relayed call, {held['seconds']:.0f} s held: coturn received "
        f"{per_minute['received'] / 1e6:.1f} MB/min and sent {per_minute['sent'] / 1e6:.1f} "
        f"MB/min (UDP on its interface); frames decoded host {frames['host']}, guest "
        f"{frames['guest']}; path {call.path(call.host)}; allocations per credential "
        f"{[len(relay_candidates(side)) for side in call.sides]}"
    )


def test_without_the_private_address_relay_only_people_cannot_reach_each_other(tmp_path):
    # The negative control: the public address alone (coturn_private_ip not known), as an
    # operator writing only `external-ip=` would have it. coturn relays to its own public
    # address, the NAT drops it: no hairpin.
    call = call_through_cloud_nat(
        tmp_path,
        {
            "coturn_listening_ips": [PRIVATE],
            "coturn_relay_ips": [PRIVATE],
            "coturn_external_ip": SERVER,
            "coturn_private_ip": "",
        },
        timeout=30,
    )

    assert "external-ip=203.0.113.10\n" in (tmp_path / "turnserver.conf").read_text()
    assert not call.connected, call.result
    for side in call.sides:
        # The relays were granted and advertised on the public address: only the path fails.
        assert relay_candidates(side), side
        assert all(c.startswith(f"relay {SERVER}:") for c in relay_candidates(side)), side
        assert side["remote_frames"] == 0
