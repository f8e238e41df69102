"""TURN REST credentials, checked against an independent HMAC and a real coturn."""

from __future__ import annotations

import base64
import subprocess

from signaling.config import Settings
from signaling.turn import ice_servers, turn_credentials


def openssl_hmac_sha1(secret: str, message: str) -> str:
    digest = subprocess.run(
        ["openssl", "dgst", "-sha1", "-binary", "-hmac", secret],
        input=message.encode(),
        capture_output=True,
        check=True,
    ).stdout
    return base64.b64encode(digest).decode()


def test_credentials_match_an_hmac_computed_by_openssl():
    username, password = turn_credentials("north-wind", 1767225600, "q3VbR0d1")

    assert username == "1767225600:q3VbR0d1"
    assert password == openssl_hmac_sha1("north-wind", "1767225600:q3VbR0d1")


def test_no_ice_servers_unless_configured():
    assert ice_servers(Settings(), now=0) == []


def test_stun_and_turn_urls_are_listed_with_fresh_expiring_credentials():
    settings = Settings(
        stun_urls=("stun:turn.example.org:3478",),
        turn_urls=("turn:turn.example.org:3478", "turns:turn.example.org:5349?transport=tcp"),
        turn_secret="north-wind",
        turn_ttl=600,
    )

    stun, turn = ice_servers(settings, now=1000)
    _, other_turn = ice_servers(settings, now=1000)

    assert stun == {"urls": ["stun:turn.example.org:3478"]}
    assert turn["urls"] == list(settings.turn_urls)
    expiry, user_id = turn["username"].split(":")
    assert int(expiry) == 1600 and user_id
    assert turn["credential"] == openssl_hmac_sha1("north-wind", turn["username"])
    assert other_turn["username"] != turn["username"]  # a new id each time
