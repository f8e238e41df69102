"""`GET /ice-servers`, the lobby's connection check, on a real uvicorn: the same URLs a seat
gets with credentials that live two minutes, only for whoever could get them by joining, and
at the price of starting a meeting."""

from __future__ import annotations

import dataclasses
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from signaling.config import Settings
from signaling.ice_check import CHECK_TTL
from signaling.turn import turn_credentials
from tests.service.conftest import member_at, running_server

ICE = Settings(
    stun_urls=("stun:turn.example.org:3478",),
    turn_urls=("turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"),
    turn_secret="north-wind",
)


def get(ws_url: str, path: str, **options) -> httpx.Response:
    return httpx.get(ws_url.replace("ws://", "http://") + path, timeout=10, **options)


def rooms(ws_url: str) -> int:
    """Every room the server holds, from its metrics."""
    page = get(ws_url, "/metrics", headers={"authorization": "Bearer t"}).text
    lines = [line for line in page.splitlines() if line.startswith("visavis_rooms{")]
    assert lines, page[:500]
    return sum(int(float(line.rsplit(" ", 1)[1])) for line in lines)


def test_a_check_gets_the_seats_urls_with_credentials_that_expire_soon():
    with running_server(dataclasses.replace(ICE, metrics_token="t")) as server:
        started = time.time()
        answer = get(server, "/ice-servers")
        assert rooms(server) == 0  # no seat, no room: nothing anyone could join or see
        with ExitStack() as sockets:
            member = member_at(sockets, f"{server}/ws")
            member.send({"type": "create"})
            joined = member.recv()
            assert rooms(server) == 1  # the control: a seat shows

    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    servers = answer.json()["ice_servers"]
    assert [server["urls"] for server in servers] == [s["urls"] for s in joined["ice_servers"]]
    turn = servers[1]
    expiry, user_id = turn["username"].split(":")
    assert started + CHECK_TTL - 1 <= int(expiry) <= time.time() + CHECK_TTL
    assert turn_credentials("north-wind", int(expiry), user_id)[1] == turn["credential"]


def test_on_a_hosts_server_only_a_host_or_a_guest_with_a_code_may_check(tmp_path: Path):
    settings = dataclasses.replace(
        ICE, access="hosts", state_dir=str(tmp_path), session_secret="s" * 32
    )
    with running_server(settings) as server:
        stranger = get(server, "/ice-servers")
        guest = get(server, "/ice-servers", params={"room": "ABCD EFGH JKMN"})
        not_a_code = get(server, "/ice-servers", params={"room": "abcd-efgh-jkmo"})

    assert stranger.status_code == 403, stranger.text
    assert stranger.json()["code"] == "hosts-only"
    assert not_a_code.status_code == 403
    assert guest.status_code == 200 and len(guest.json()["ice_servers"]) == 2  # the control


def test_checks_cost_what_starting_meetings_costs():
    rooms_per_minute = 3
    settings = dataclasses.replace(ICE, rooms_per_minute=rooms_per_minute)
    with running_server(settings) as server:
        answers = [get(server, "/ice-servers") for _ in range(rooms_per_minute + 1)]
        with ExitStack() as sockets:
            member = member_at(sockets, f"{server}/ws")
            member.send({"type": "create"})
            create = member.recv()

    assert [a.status_code for a in answers] == [200] * rooms_per_minute + [429]
    refused = answers[-1]
    assert refused.json()["code"] == "rate-limited" and int(refused.headers["retry-after"]) >= 1
    # The same bucket: the checks used up this address's meetings too.
    assert create["type"] == "error" and create["code"] == "rate-limited", create
