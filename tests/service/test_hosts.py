"""Hosts over the real endpoints of a real uvicorn: enrolment with a one-time link, sign-in
with a passkey, the session cookie on the WebSocket upgrade, and every refusal — each with
its positive control, each changing nothing. Every test runs with the hosts in SQLite and
in a real redis-server."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from signaling import admin
from signaling.config import Settings
from signaling.host_sessions import COOKIE
from signaling.host_stores import host_store_for
from signaling.hosts import token_hash
from tests.passkey import SoftPasskey
from tests.service.conftest import empty_redis, member_at, running_server

ORIGIN = "https://meet.visavis.test"  # VISAVIS_PUBLIC_URL: the origin passkeys answer for
STORES = ("sqlite", "redis")


@dataclasses.dataclass
class Hosts:
    """One server with VISAVIS_ACCESS=hosts, as a browser and the operator reach it."""

    settings: Settings
    ws_url: str
    http: httpx.Client

    def enrolment_link(self, name: str = "Ana", hours: float = 1) -> str:
        """The real CLI's link (`python -m signaling enrol`), as the operator gets it."""
        return run_cli(self.settings, "enrol", "--name", name, "--hours", str(hours))

    def post(self, path: str, body: dict, **headers: str) -> httpx.Response:
        return self.http.post(path, json=body, headers=headers)

    def enrol(self, passkey: SoftPasskey, token: str, **lie: str) -> httpx.Response:
        options = self.post("/auth/enrol/options", {"token": token})
        assert options.status_code == 200, options.text
        answer = passkey.register(options.json()["options"], **lie)
        return self.post("/auth/enrol", {"token": token, "credential": answer})

    def sign_in(self, passkey: SoftPasskey, **lie) -> httpx.Response:
        options = self.post("/auth/sign-in/options", {}).json()["options"]
        return self.post("/auth/sign-in", {"credential": passkey.sign_in(options, **lie)})

    def create(self, cookie: str | None) -> dict:
        """A socket whose upgrade carries `cookie` (or none) asks for a new meeting."""
        headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
        with ExitStack() as sockets:
            member = member_at(sockets, self.ws_url, headers)
            member.send({"type": "create"})
            return member.recv()

    def host_names(self) -> list[str]:
        return [line.split("\t")[1] for line in run_cli(self.settings, "hosts").splitlines()]


def run_cli(settings: Settings, *argv: str) -> str:
    """`python -m signaling <argv>` in this process (its output), on the same store."""
    from contextlib import redirect_stdout
    from io import StringIO

    printed = StringIO()
    with redirect_stdout(printed):
        assert admin.run(list(argv), settings) == 0
    return printed.getvalue().strip()


def token_of(link: str) -> str:
    assert link.startswith(f"{ORIGIN}/enrol#"), link
    return link.split("#", 1)[1]


def cookie_of(reply: httpx.Response) -> str:
    assert reply.status_code == 200, reply.text
    header = reply.headers["set-cookie"]
    name, _, rest = header.partition("=")
    assert name == COOKIE
    return rest.split(";", 1)[0]


@contextmanager
def hosts_server(settings: Settings) -> Iterator[Hosts]:
    with running_server(settings) as ws_url:
        base = ws_url.replace("ws://", "http://")
        with httpx.Client(base_url=base, timeout=10) as http:
            yield Hosts(settings, f"{ws_url}/ws", http)


@pytest.fixture(params=STORES)
def hosts_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    settings = Settings(access="hosts", public_url=ORIGIN, session_secret="s" * 32)
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        empty_redis(url)
        return dataclasses.replace(settings, broker_url=url)
    return dataclasses.replace(settings, state_dir=str(tmp_path / "state"))


@pytest.fixture
def hosts(hosts_settings: Settings) -> Iterator[Hosts]:
    with hosts_server(hosts_settings) as server:
        yield server


def test_a_host_enrols_signs_in_and_starts_a_meeting_a_guest_joins_it(hosts: Hosts):
    passkey = SoftPasskey(ORIGIN)
    enrolled = hosts.enrol(passkey, token_of(hosts.enrolment_link("Ana")))
    signed_in = hosts.sign_in(passkey)

    assert enrolled.json() == {"host": {"name": "Ana"}}
    assert signed_in.json() == {"host": {"name": "Ana"}}
    assert hosts.host_names() == ["Ana"]
    joined = hosts.create(cookie_of(signed_in))
    assert joined["type"] == "joined", joined
    with ExitStack() as sockets:  # the guest: no cookie, only the code
        guest = member_at(sockets, hosts.ws_url)
        assert guest.join(joined["room"])["type"] == "joined"


def test_the_session_cookie_is_httponly_secure_strict_and_bounded(hosts: Hosts):
    reply = hosts.enrol(SoftPasskey(ORIGIN), token_of(hosts.enrolment_link()))

    attributes = {
        part.strip().split("=")[0].lower() for part in reply.headers["set-cookie"].split(";")
    }
    assert COOKIE.startswith("__Host-")
    assert {"httponly", "secure", "samesite", "path", "max-age"} <= attributes
    assert "samesite=strict" in reply.headers["set-cookie"].lower()
    assert f"max-age={hosts.settings.host_session_ttl}" in reply.headers["set-cookie"].lower()
    assert "domain" not in attributes


def test_a_socket_without_a_host_session_cannot_create_but_can_join(hosts: Hosts):
    cookie = cookie_of(hosts.enrol(SoftPasskey(ORIGIN), token_of(hosts.enrolment_link())))

    refused = hosts.create(None)
    forged = hosts.create(cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))

    assert refused["type"] == "error" and refused["code"] == "hosts-only", refused
    assert refused["message"] == "Only hosts of this server can start meetings — sign in."
    assert forged["code"] == "hosts-only", forged
    assert hosts.create(cookie)["type"] == "joined"  # the control: the real cookie works


def test_the_access_setting_open_lets_anyone_create(tmp_path: Path):
    settings = Settings(access="open", state_dir=str(tmp_path))
    with hosts_server(settings) as server:
        assert server.create(None)["type"] == "joined"
        assert server.http.get("/auth/me").json() == {"access": "open", "host": None}


def test_an_enrolment_link_works_once(hosts: Hosts):
    token = token_of(hosts.enrolment_link("Ana"))
    assert hosts.enrol(SoftPasskey(ORIGIN), token).status_code == 200

    again = hosts.post("/auth/enrol/options", {"token": token})
    # The same token, with a fresh challenge from a still-open options request:
    assert again.status_code == 410 and again.json()["code"] == "enrolment-used"
    assert hosts.host_names() == ["Ana"]


def test_a_link_used_by_a_racing_request_refuses_the_slower_one(hosts: Hosts):
    token = token_of(hosts.enrolment_link("Ana"))
    first, second = SoftPasskey(ORIGIN), SoftPasskey(ORIGIN)
    options = [hosts.post("/auth/enrol/options", {"token": token}).json() for _ in range(2)]
    answers = [p.register(o["options"]) for p, o in zip((first, second), options, strict=True)]

    won = hosts.post("/auth/enrol", {"token": token, "credential": answers[0]})
    lost = hosts.post("/auth/enrol", {"token": token, "credential": answers[1]})

    assert won.status_code == 200
    assert lost.status_code == 410 and lost.json()["code"] == "enrolment-used"
    assert "set-cookie" not in lost.headers
    assert hosts.sign_in(second).json()["code"] == "passkey-unknown"
    assert hosts.host_names() == ["Ana"]


def test_expired_and_unknown_links_are_refused(hosts: Hosts):
    store = host_store_for(hosts.settings)
    assert store is not None

    async def add_expired() -> None:
        await store.start()
        await store.add_enrolment(token_hash("old-token"), "Old", time.time() - 1)
        await store.close()

    asyncio.run(add_expired())
    expired = hosts.post("/auth/enrol/options", {"token": "old-token"})
    unknown = hosts.post("/auth/enrol/options", {"token": "never-made"})

    assert expired.status_code == 410 and expired.json()["code"] == "enrolment-expired"
    assert unknown.status_code == 404 and unknown.json()["code"] == "enrolment-unknown"
    assert expired.json()["message"].endswith("Ask the operator for a new one.")
    assert hosts.host_names() == []


@pytest.mark.parametrize(
    ("lie", "code"),
    [
        ({"origin": "https://evil.visavis.test"}, "wrong-origin"),
        ({"rp_id": "evil.visavis.test"}, "wrong-rp-id"),
    ],
)
def test_an_enrolment_for_another_origin_or_rp_is_refused_and_the_link_kept(
    hosts: Hosts, lie: dict, code: str
):
    token = token_of(hosts.enrolment_link("Ana"))

    refused = hosts.enrol(SoftPasskey(ORIGIN), token, **lie)

    assert refused.status_code == 400 and refused.json()["code"] == code, refused.text
    assert hosts.host_names() == []
    assert hosts.enrol(SoftPasskey(ORIGIN), token).status_code == 200  # the link still works


@pytest.mark.parametrize(
    ("lie", "code"),
    [
        ({"origin": "https://evil.visavis.test"}, "wrong-origin"),
        ({"rp_id": "evil.visavis.test"}, "wrong-rp-id"),
        ({"signing_key": ec.generate_private_key(ec.SECP256R1())}, "bad-signature"),
    ],
)
def test_a_sign_in_that_does_not_check_out_is_refused(hosts: Hosts, lie: dict, code: str):
    passkey = SoftPasskey(ORIGIN)
    hosts.enrol(passkey, token_of(hosts.enrolment_link()))

    refused = hosts.sign_in(passkey, **lie)

    assert refused.status_code == 400 and refused.json()["code"] == code, refused.text
    assert "set-cookie" not in refused.headers
    assert hosts.sign_in(passkey).status_code == 200


def test_a_replayed_sign_in_is_refused(hosts: Hosts):
    passkey = SoftPasskey(ORIGIN)
    hosts.enrol(passkey, token_of(hosts.enrolment_link()))
    options = hosts.post("/auth/sign-in/options", {}).json()["options"]
    answer = passkey.sign_in(options)

    first = hosts.post("/auth/sign-in", {"credential": answer})
    replayed = hosts.post("/auth/sign-in", {"credential": answer})

    assert first.status_code == 200
    assert replayed.status_code == 400 and replayed.json()["code"] == "challenge-invalid"
    assert "set-cookie" not in replayed.headers


def test_a_challenge_made_for_one_link_does_not_serve_another(hosts: Hosts):
    first, second = (token_of(hosts.enrolment_link(name)) for name in ("Ana", "Bo"))
    options = hosts.post("/auth/enrol/options", {"token": first}).json()["options"]
    answer = SoftPasskey(ORIGIN).register(options)

    refused = hosts.post("/auth/enrol", {"token": second, "credential": answer})

    assert refused.json()["code"] == "challenge-invalid", refused.text
    assert hosts.host_names() == []


def test_a_removed_host_can_no_longer_sign_in_or_create(hosts: Hosts):
    passkey = SoftPasskey(ORIGIN)
    cookie = cookie_of(hosts.enrol(passkey, token_of(hosts.enrolment_link("Ana"))))
    assert hosts.create(cookie)["type"] == "joined"
    host_id = run_cli(hosts.settings, "hosts").split("\t")[0]

    run_cli(hosts.settings, "remove-host", host_id)

    assert hosts.create(cookie)["code"] == "hosts-only"
    refused = hosts.sign_in(passkey)
    assert refused.status_code == 403 and refused.json()["code"] == "passkey-unknown"
    assert (
        hosts.http.get("/auth/me", headers={"Cookie": f"{COOKIE}={cookie}"}).json()["host"] is None
    )


def test_a_host_id_that_begins_with_a_dash_is_an_id_not_an_option(hosts: Hosts, capsys):
    # base64url ids: one in 64 begins with "-" ("-JLRvJBHlm3xwHj2o8rQLg" made this test's
    # neighbour fail once); argparse alone exits with "the following arguments are required".
    assert admin.run(["remove-host", "-JLRvJBHlm3xwHj2o8rQLg"], hosts.settings) == 1
    assert "no host '-JLRvJBHlm3xwHj2o8rQLg'" in capsys.readouterr().out


def test_posts_from_another_site_are_refused(hosts: Hosts):
    token = token_of(hosts.enrolment_link())

    refused = hosts.post(
        "/auth/enrol/options", {"token": token}, origin="https://evil.visavis.test"
    )
    allowed = hosts.post("/auth/enrol/options", {"token": token}, origin=ORIGIN)

    assert refused.status_code == 400 and refused.json()["code"] == "wrong-origin"
    assert allowed.status_code == 200


@pytest.mark.parametrize("body", [b"not json", b"[1]", b'{"token": 5}', b"{" + b" " * 70000 + b"}"])
def test_malformed_requests_get_bad_request(hosts: Hosts, body: bytes):
    reply = hosts.http.post("/auth/enrol/options", content=body)
    assert reply.status_code == 400 and reply.json()["code"] == "bad-request"


def test_attempts_are_rate_limited_per_address(hosts_settings: Settings):
    settings = dataclasses.replace(hosts_settings, auth_attempts_per_minute=3)
    with hosts_server(settings) as hosts:
        replies = [hosts.post("/auth/sign-in/options", {}) for _ in range(4)]
        me = hosts.http.get("/auth/me")

    assert [reply.status_code for reply in replies] == [200, 200, 200, 429]
    assert replies[-1].json()["code"] == "rate-limited"
    assert int(replies[-1].headers["retry-after"]) >= 1
    assert me.status_code == 200  # asking who one is costs nothing


def test_hosts_outlive_a_restart(hosts_settings: Settings):
    passkey = SoftPasskey(ORIGIN)
    with hosts_server(hosts_settings) as first:
        cookie = cookie_of(first.enrol(passkey, token_of(first.enrolment_link("Ana"))))

    with hosts_server(hosts_settings) as second:
        assert second.sign_in(passkey).status_code == 200
        # VISAVIS_SESSION_SECRET is kept, so the sign-in before the restart still counts.
        assert second.create(cookie)["type"] == "joined"


def test_two_instances_on_one_redis_share_hosts(redis_url: str):
    empty_redis(redis_url)
    settings = Settings(
        access="hosts", public_url=ORIGIN, broker_url=redis_url, session_secret="k" * 32
    )
    passkey = SoftPasskey(ORIGIN)
    with hosts_server(settings) as one, hosts_server(settings) as two:
        cookie = cookie_of(one.enrol(passkey, token_of(one.enrolment_link("Ana"))))
        signed_in = two.sign_in(passkey)
        created = two.create(cookie)

    assert signed_in.status_code == 200
    assert created["type"] == "joined"
