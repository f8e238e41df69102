"""Which TURN URLs the allocation check asks (UDP `turn:` ones only), and where."""

from __future__ import annotations

from signaling.turn_check import udp_targets


def test_udp_turn_urls_are_checked_with_their_port_or_the_default() -> None:
    urls = (
        "turn:call.example.org:3478?transport=udp",
        "turn:call.example.org",
        "turn:[2001:db8::7]:3479",
        "turn:call.example.org:3478?transport=tcp",
        "turns:call.example.org:5349?transport=tcp",
    )
    assert udp_targets(urls) == [
        (urls[0], "call.example.org", 3478),
        (urls[1], "call.example.org", 3478),
        (urls[2], "2001:db8::7", 3479),
    ]
