"""`GET /ice-servers`, the lobby's connection check, on a real uvicorn: the same URLs a seat
gets with credentials that live two minutes, only for whoever could get them by joining, and
at the price of starting a meeting."""

from __future__ import annotations

import dataclasses
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from signaling.config import Settings
from signaling.host_sessions import COOKIE
from signaling.ice_check import CHECK_TTL
from signaling.turn import turn_credentials
from tests.passkey import SoftPasskey
from tests.service.conftest import empty_redis, member_at, running_server
from tests.service.test_hosts import ORIGIN, STORES, cookie_of, hosts_server, token_of

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


@pytest.mark.parametrize("store", STORES)
def test_on_a_hosts_server_only_a_host_or_a_guest_of_a_real_meeting_may_check(
    store: str, request: pytest.FixtureRequest, tmp_path: Path
):
    settings = dataclasses.replace(ICE, access="hosts", public_url=ORIGIN, session_secret="s" * 32)
    if store == "redis":
        url = request.getfixturevalue("redis_url")
        empty_redis(url)
        settings = dataclasses.replace(settings, broker_url=url)
    else:
        settings = dataclasses.replace(settings, state_dir=str(tmp_path / "state"))
    with hosts_server(settings) as hosts:
        passkey = SoftPasskey(ORIGIN)
        cookie = cookie_of(hosts.enrol(passkey, token_of(hosts.enrolment_link())))
        meeting = hosts.create(cookie)["room"]  # its seat now waits out the grace period
        answers = {
            "stranger": hosts.http.get("/ice-servers"),
            "not a code": hosts.http.get("/ice-servers", params={"room": "abcd-efgh-jkmo"}),
            "made-up meeting": hosts.http.get("/ice-servers", params={"room": "ABCD EFGH JKMN"}),
            "guest": hosts.http.get("/ice-servers", params={"room": meeting}),
            "host": hosts.http.get("/ice-servers", headers={"cookie": f"{COOKIE}={cookie}"}),
        }

    codes = {who: (a.status_code, a.json().get("code")) for who, a in answers.items()}
    assert codes == {
        "stranger": (403, "hosts-only"),
        "not a code": (403, "hosts-only"),
        "made-up meeting": (404, "room-not-found"),
        "guest": (200, None),  # the controls: a real meeting's guest, and the host
        "host": (200, None),
    }
    assert len(answers["guest"].json()["ice_servers"]) == 2


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
