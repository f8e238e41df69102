"""Calls between two homes behind NAT routers, across the lab's internet, read from each
browser's own getStats(): which candidate pair carries the call, and whether frames flow."""

from __future__ import annotations

import pytest

from tests.network.lab import SERVER, HomeNetwork, Impairment, Nat

pytestmark = [pytest.mark.network, pytest.mark.timeout(240)]

PORT_PRESERVING = HomeNetwork(Nat.PORT_PRESERVING)
SYMMETRIC = HomeNetwork(Nat.SYMMETRIC)
NO_UDP_OUT = HomeNetwork(Nat.PORT_PRESERVING, block_udp=True)
# Per internet link and direction; home to home crosses two links: 100 ms RTT, ~2 % loss.
SLOW_LOSSY = Impairment(delay_ms=25, jitter_ms=5, loss_percent=1)
DEPLOYED_TURN = ("udp", "tcp", "tls")  # the URLs the deploy hands to browsers


def summary(call) -> str:
    """One line for the run's summary: set-up time, the host's path, RTT and frame rates."""
    if not call.connected:
        after = call.result["setup_seconds"]
        return f"did not connect (given up {after:.1f} s after join)" if after else "no answer"
    pair = call.host["stats"]["pair"] or {}
    line = f"set-up {call.result['setup_seconds']:.2f} s (join click to ICE connected)"
    if pair:
        line += f", path {call.path(call.host)}, ICE RTT {(pair['rtt'] or 0) * 1000:.0f} ms"
    rates = call.result.get("frame_rate")
    if rates:
        line += f", frame rate host {rates['host']:.1f} / guest {rates['guest']:.1f} fps"
    return line


def assert_frames_flow_both_ways(call) -> None:
    for side in call.sides:
        assert side["remote_frames"] > 0, "no remote video frame was decoded"
        assert side["stats"]["framesDecoded"] > 0
        assert call.pair(side)["bytesReceived"] > 0


def test_port_preserving_nats_connect_directly(call_between_homes, measure):
    call = call_between_homes((PORT_PRESERVING, PORT_PRESERVING), stun=True)
    measure(summary(call))

    assert call.connected, call.result
    for side in call.sides:
        pair = call.pair(side)
        assert (pair["local"]["type"], pair["remote"]["type"]) == ("srflx", "srflx"), pair
        # Router to router over the internet; neither end is the server.
        ends = {pair["local"]["address"], pair["remote"]["address"]}
        assert ends == set(call.public_addresses), pair
    assert_frames_flow_both_ways(call)


def test_symmetric_nats_without_relay_fail_and_say_why(call_between_homes, measure):
    # The negative control: if this call connected, the lab's NATs would not be real.
    call = call_between_homes((SYMMETRIC, SYMMETRIC), stun=True, timeout=60)
    measure(summary(call))

    assert call.result["ice"] == "failed", call.result
    for side in call.sides:
        reached = {change["state"] for change in side["states"]}
        assert "connected" not in reached, side["states"]
        assert side["remote_frames"] == 0
        # STUN worked (each home learnt its public address); only the mapping is useless.
        assert any(candidate.startswith("srflx ") for candidate in side["stats"]["gathered"])
    assert "block" in call.guest["call_error"], call.guest["call_error"]


def test_symmetric_nats_connect_through_our_relay(call_between_homes, measure):
    call = call_between_homes((SYMMETRIC, SYMMETRIC), turn=DEPLOYED_TURN)
    measure(summary(call))

    assert call.connected, call.result
    for side in call.sides:
        pair = call.pair(side)
        relays = [end for end in (pair["local"], pair["remote"]) if end["type"] == "relay"]
        assert relays, f"the selected pair does not use the relay: {pair}"
        assert all(end["address"] == SERVER for end in relays), pair
    assert_frames_flow_both_ways(call)


@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_a_home_without_udp_connects_over_the_relay(call_between_homes, measure, transport):
    # Home 1 (the host) lets no UDP out; the browsers get only the TURN URL for transport.
    call = call_between_homes((NO_UDP_OUT, PORT_PRESERVING), turn=(transport,))
    measure(summary(call))

    assert call.connected, call.result
    assert not any(c.startswith("srflx ") for c in call.host["stats"]["gathered"])
    local = call.pair(call.host)["local"]
    assert (local["type"], local["address"], local["relayProtocol"]) == (
        "relay",
        SERVER,
        transport,
    ), local
    assert_frames_flow_both_ways(call)


def test_a_call_over_a_slow_lossy_internet(call_between_homes, measure):
    call = call_between_homes(
        (PORT_PRESERVING, PORT_PRESERVING),
        turn=DEPLOYED_TURN,
        impairment=SLOW_LOSSY,
        frame_rate=True,
    )
    measure(summary(call))

    assert call.connected, call.result
    assert_frames_flow_both_ways(call)
    rates = call.result["frame_rate"]
    # A floor, not a target: the figure itself is reported above.
    assert min(rates.values()) >= 5, rates
