"""The Origin check compares origins normalised: scheme and host in any case, the default
port written or not. A foreign origin is still refused with HTTP 403."""

from __future__ import annotations

import socket

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from signaling.config import ConfigError, Settings, load_settings
from tests.service.conftest import Member


@pytest.mark.parametrize("settings", [Settings(public_url="https://Meet.Example.org:443/")])
@pytest.mark.parametrize(
    "origin",
    ["https://meet.example.org", "https://MEET.example.org:443", "HTTPS://meet.example.org"],
)
def test_the_public_url_matches_however_it_is_spelled(server, origin):
    with connect(f"{server}/ws", origin=origin, open_timeout=5) as socket:
        assert Member(socket).create()["type"] == "joined"


@pytest.mark.parametrize("settings", [Settings(public_url="https://meet.example.org:8443")])
@pytest.mark.parametrize(
    "origin", ["https://meet.example.org", "http://meet.example.org:8443", "null", "https://x:y"]
)
def test_another_port_scheme_or_a_malformed_origin_is_refused(server, origin):
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{server}/ws", origin=origin, open_timeout=5)
    assert refused.value.response.status_code == 403
    with connect(f"{server}/ws", origin="https://meet.example.org:8443", open_timeout=5) as ok:
        assert Member(ok).create()["type"] == "joined"  # positive control


def _as_host(server: str, host: str, origin: str):
    """A socket to `server` whose request names `host` (what a proxy forwards)."""
    port = int(server.rsplit(":", 1)[1])
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    return connect(f"ws://{host}/ws", sock=raw, origin=origin, open_timeout=5)


def test_without_a_public_url_the_host_matches_in_any_case_and_with_the_default_port(server):
    port = server.rsplit(":", 1)[1]
    with _as_host(server, f"localhost:{port}", f"http://LOCALHOST:{port}") as ws:
        assert Member(ws).create()["type"] == "joined"
    # Behind a proxy on port 443: the Host header may carry the port, the Origin does not.
    with _as_host(server, "Meet.Example.org:443", "https://meet.example.org") as ws:
        assert Member(ws).create()["type"] == "joined"
    with pytest.raises(InvalidStatus):  # positive control: another host is still refused
        _as_host(server, "meet.example.org:443", "https://evil.example.net")


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        ("meet.example.org", "is not an http(s) URL"),
        ("https://meet.example.org:99999", "port that is not a number"),
        ("https://admin:secret@meet.example.org", "holds a user name"),
    ],
)
def test_a_malformed_public_url_stops_the_start_naming_the_variable(value, phrase):
    with pytest.raises(ConfigError) as refused:
        load_settings({"VISAVIS_PUBLIC_URL": value})
    assert str(refused.value).startswith("VISAVIS_PUBLIC_URL: ")
    assert phrase in str(refused.value)
    assert "secret" not in str(refused.value)


def test_the_public_url_is_kept_normalised():
    settings = load_settings({"VISAVIS_PUBLIC_URL": "HTTPS://Meet.Example.org:443/join"})
    assert settings.public_url == "https://meet.example.org"
