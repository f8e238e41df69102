"""The lobby's connection check against what a call then does, in the NAT lab: for each
network shape, both homes run the check in real Chromium, then home 1 calls home 2 in the
same lab, and the call must do what the check said (direct, relayed over the transport it
named, or failing).

The shapes are one table, SHAPES: a row is the homes' network, the TURN URLs the server
hands out, and the verdict expected. A shape that needs another server side (TURNS on 443
behind nginx) adds its row with its own `server`: a context manager that starts it in the
lab's internet and yields the page's URL, like `lab_server`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.network import front, services
from tests.network.conftest import Call, _drive, driver_spec
from tests.network.lab import SERVER, HomeNetwork, Lab, Nat, nat_lab

pytestmark = [pytest.mark.network, pytest.mark.timeout(300)]

DEPLOYED_TURN = ("udp", "tcp", "tls")  # the URLs the deploy hands to browsers
ONLY_THE_PAGE = (services.SIGNALING_PORT,)  # TCP out to the web page and nothing else


@contextmanager
def lab_server(
    lab: Lab, files: services.ServerFiles, workdir: Path, turn: tuple[str, ...]
) -> Iterator[str]:
    """The lab's usual server side: coturn and signaling (handing out STUN and the `turn`
    URLs) on the internet's server address; yields the page's URL."""
    ice = services.ice_settings(files, turn=turn)
    with (
        services.coturn(lab.internet, files, workdir),
        services.signaling(lab.internet, files, workdir, ice) as url,
    ):
        yield url


@contextmanager
def server_on_443(
    lab: Lab, files: services.ServerFiles, workdir: Path, turn: tuple[str, ...]
) -> Iterator[str]:
    """The server as deployed, nginx's TLS router on 443 in front (tests.network.front): it
    hands out the deploy's TURN URLs, TURN over TLS on 443 among them (`turn` is unused)."""
    with front.server_on_443(lab, files, workdir) as server:
        yield server.url


ServerSide = Callable[
    [Lab, services.ServerFiles, Path, tuple[str, ...]], AbstractContextManager[str]
]


@dataclass(frozen=True)
class Shape:
    """One network shape: both homes alike, and what the check must say about it."""

    network: HomeNetwork
    outcome: str  # the check's verdict: direct, relay or blocked
    relay: str | None  # the relay transport it names (for `direct`: the fallback it found)
    turn: tuple[str, ...] = DEPLOYED_TURN  # the TURN URLs handed out (services.ice_settings)
    server: ServerSide = field(default=lab_server)


SHAPES = {
    "open": Shape(HomeNetwork(Nat.PORT_PRESERVING), "direct", "udp"),
    "symmetric": Shape(HomeNetwork(Nat.SYMMETRIC), "relay", "udp"),
    "udp-blocked": Shape(HomeNetwork(block_udp=True), "relay", "tcp"),
    "tls-only": Shape(
        HomeNetwork(block_udp=True, tcp_out=(*ONLY_THE_PAGE, services.TURNS_PORT)), "relay", "tls"
    ),
    "443-only": Shape(
        HomeNetwork(block_udp=True, tcp_out=(443,)), "relay", "tls", server=server_on_443
    ),
    "nothing": Shape(HomeNetwork(block_udp=True, tcp_out=ONLY_THE_PAGE), "blocked", None),
}


def check_then_call(shape: Shape, files: services.ServerFiles, workdir: Path) -> tuple[list, Call]:
    """Build the lab with both homes in `shape`; run the check in each, then the call."""
    with (
        nat_lab((shape.network, shape.network)) as lab,
        shape.server(lab, files, workdir, shape.turn) as url,
    ):
        spec_file = driver_spec(lab, url, files, workdir, timeout=30, frame_rate=False)
        checks = _drive(spec_file, "tests.network.conncheck")
        call = Call(_drive(spec_file), [home.public_address for home in lab.homes])
        return checks, call


@pytest.mark.parametrize("name", list(SHAPES))
def test_the_check_says_what_the_call_then_does(name, server_files, tmp_path, measure):
    shape = SHAPES[name]
    checks, call = check_then_call(shape, server_files, tmp_path)
    measure(
        "check "
        + ", ".join(f"{c['outcome']}/{c['relay']} in {c['seconds']:.1f} s" for c in checks)
        + f"; call {'connected' if call.connected else 'failed'}"
        + (f" over {call.path(call.host)}" if call.connected else "")
    )

    for check in checks:
        assert (check["outcome"], check["relay"]) == (shape.outcome, shape.relay), check
        assert check["text"], check
        assert not check["seated"], "the check took a seat"
    if shape.outcome == "blocked":
        assert not call.connected, call.result
        assert "block" in call.guest["call_error"], call.guest["call_error"]
        return
    assert call.connected, call.result
    for side in call.sides:
        assert side["remote_frames"] > 0, "no remote video frame was decoded"
        pair = call.pair(side)
        ends = (pair["local"], pair["remote"])
        relayed = [end for end in ends if end["type"] == "relay"]
        if shape.outcome == "direct":
            assert not relayed, f"the check said direct, the call was relayed: {pair}"
            continue
        assert relayed and all(end["address"] == SERVER for end in relayed), pair
        if pair["local"]["type"] == "relay":
            assert pair["local"]["relayProtocol"] == shape.relay, pair
