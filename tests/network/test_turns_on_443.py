"""A home whose network lets only HTTPS out (TCP to port 443) calls through the server as
deployed: nginx's TLS router on 443 passes the TURN name to coturn's TLS port. Without the
feature, the same home gets today's sentence (the negative control)."""

from __future__ import annotations

import pytest

from tests.network.front import TURNS_ON_443
from tests.network.lab import SERVER, HomeNetwork, Nat
from tests.network.services import DOMAIN, TURN_NAME
from tests.network.test_calls import assert_frames_flow_both_ways, summary

pytestmark = [pytest.mark.network, pytest.mark.timeout(240)]

HTTPS_ONLY = HomeNetwork(Nat.PORT_PRESERVING, block_udp=True, tcp_out=(443,))
OPEN = HomeNetwork(Nat.PORT_PRESERVING)


def test_a_home_that_lets_only_https_out_connects_over_tls_on_443(call_through_443, measure):
    call, tls_names = call_through_443((HTTPS_ONLY, OPEN))
    measure(summary(call))

    assert call.connected, call.result
    local = call.pair(call.host)["local"]
    assert (local["type"], local["address"], local["relayProtocol"]) == ("relay", SERVER, "tls")
    assert local["url"] == TURNS_ON_443, local
    # Home 1 reached nothing but 443: no reflexive candidate, no relay over UDP or TCP 3478.
    gathered = call.host["stats"]["gathered"]
    assert not any(c.startswith("srflx ") for c in gathered), gathered
    assert all(" via tls" in c for c in gathered if c.startswith("relay ")), gathered
    assert_frames_flow_both_ways(call)
    # Chromium's TURN client sends the URL's host name in its ClientHello (that is what the
    # router reads); the pages ask for the site's name.
    assert (TURN_NAME, "turns") in tls_names, tls_names
    assert (DOMAIN, "site") in tls_names, tls_names
    assert {route for name, route in tls_names if name == TURN_NAME} == {"turns"}


def test_without_turn_on_443_the_same_home_is_told_its_network_blocks_calls(
    call_through_443, measure
):
    # The negative control: the site alone on 443, browsers told of 3478 and 5349 only.
    call, tls_names = call_through_443((HTTPS_ONLY, OPEN), turns_on_443=False, timeout=60)
    measure(summary(call))

    assert call.result["ice"] == "failed", call.result
    assert call.host["remote_frames"] == 0
    # The page itself loaded over 443; only the relay was out of reach.
    assert call.guest["call_error"] or call.host["call_error"]
    errors = {call.host["call_error"], call.guest["call_error"]}
    assert "Your network blocks calls; the server's relay is not reachable either." in errors
    assert tls_names == []  # no router: nginx's site took every connection itself
