"""A deployed visavis host: services, files, firewall, nginx, signaling, TURN and Redis, each
checked where the host runs it (conftest.Parts: its inventory groups, its instances)."""

from __future__ import annotations

import asyncio
import datetime
import gzip
import json
import re

import pytest
import stun
from conftest import NGINX_SITE, needs
from cryptography import x509
from cryptography.x509.oid import NameOID

# Each service, and the part of the site that runs it (the signaling units are checked apart).
SERVICES = {"nginx": "web", "coturn": "turn", "nftables": None, "redis-server": "redis"}
REDIS_CONFIG = "/etc/redis/redis.conf"


def signaling_units(parts) -> list[str]:
    """The signaling units: one, or one per instance (visavis-signaling@<port>)."""
    if len(parts.signaling_ports) == 1:
        return ["visavis-signaling"]
    return [f"visavis-signaling@{port}" for port in parts.signaling_ports]


def test_packages_are_installed(host, site, parts):
    names = ["nftables", "openssl"]
    names += ["nginx"] if parts.web else []
    names += ["coturn"] if parts.turn else []
    names += ["redis-server"] if parts.redis else []
    names += ["certbot"] if site.letsencrypt else []
    for name in names:
        assert host.package(name).is_installed, name


def test_signaling_runs_on_python_3_11_or_newer(host, parts):
    needs(parts, "web")
    # Ubuntu 22.04's python3 is 3.10: there the virtualenv is made with jammy's python3.11.
    version = host.check_output(
        "/opt/visavis/venv/bin/python -c 'import sys; print(*sys.version_info[:2])'"
    )
    assert tuple(map(int, version.split())) >= (3, 11)


@pytest.mark.parametrize("name", SERVICES)
def test_service_is_enabled_and_running(host, parts, name):
    if SERVICES[name]:
        needs(parts, SERVICES[name])
    service = host.service(name)
    assert service.is_enabled
    assert service.is_running


def test_every_signaling_instance_runs(host, parts):
    needs(parts, "web")
    assert len(parts.signaling_ports) == (parts.instances_wanted or 1), parts
    for unit in signaling_units(parts):
        assert host.service(unit).is_running, unit
    # nginx spreads sockets over exactly these instances: an upstream block's servers with
    # several, a proxy_pass straight to the one instance without.
    config = host.file(NGINX_SITE).content_string
    upstream = re.findall(r"^\s*server\s+127\.0\.0\.1:(\d+);", config, re.MULTILINE)
    direct = re.findall(r"proxy_pass\s+http://127\.0\.0\.1:(\d+)", config)
    assert sorted({int(port) for port in upstream + direct}) == sorted(parts.signaling_ports)


def test_certbot_timer_renews_letsencrypt_certificates(host, site):
    if not site.letsencrypt:
        pytest.skip("self-signed certificate: nothing to renew")
    assert host.service("certbot.timer").is_enabled
    assert host.service("certbot.timer").is_running


def test_sockets_listen_where_they_should(host, site, parts):
    for port in parts.signaling_ports:
        assert host.socket(f"tcp://127.0.0.1:{port}").is_listening, port
        assert not host.socket(f"tcp://0.0.0.0:{port}").is_listening, port
    if parts.web:
        for spec in ["tcp://0.0.0.0:80", "tcp://0.0.0.0:443"]:
            assert host.socket(spec).is_listening, spec
    if parts.turn:
        # coturn listens on each of the host's addresses rather than on the wildcard.
        for protocol, port in [("tcp", 3478), ("udp", 3478), ("tcp", 5349)]:
            assert host.socket(f"{protocol}://{site.address}:{port}").is_listening, (protocol, port)


@pytest.mark.parametrize("unit", range(4))
def test_signaling_runs_with_least_privilege(host, parts, unit):
    needs(parts, "web")
    if unit >= len(signaling_units(parts)):
        pytest.skip(f"{len(signaling_units(parts))} instance(s)")
    shown = host.check_output(
        f"systemctl show {signaling_units(parts)[unit]} -p User -p NoNewPrivileges "
        "-p ProtectSystem -p PrivateTmp -p RestrictAddressFamilies -p MemoryMax -p Restart"
    )
    settings = dict(line.split("=", 1) for line in shown.splitlines())
    assert settings["User"] == "visavis"
    assert settings["NoNewPrivileges"] == "yes"
    assert settings["ProtectSystem"] == "strict"
    assert settings["PrivateTmp"] == "yes"
    assert settings["Restart"] == "on-failure"
    assert settings["MemoryMax"] != "infinity"
    assert set(settings["RestrictAddressFamilies"].split()) <= {"AF_INET", "AF_INET6", "AF_UNIX"}


def open_ports(rules: str, protocol: str) -> set[str]:
    """The ports anyone may reach, from `nft list table`'s `<protocol> dport { ... } accept`."""
    found = re.search(rf"^\s*{protocol} dport \{{ ([^}}]*) \}} accept", rules, re.MULTILINE)
    return {port.strip() for port in found.group(1).split(",")} if found else set()


def test_firewall_drops_everything_but_the_service_ports(host, parts):
    rules = host.check_output("nft list table inet visavis")
    assert "policy drop" in rules
    turn_ports: set[str] = set()
    relay: set[str] = set()
    if parts.turn:
        # coturn's ports as its configuration on the host has them: the firewall must agree.
        conf = host.file("/etc/turnserver.conf").content_string
        turn = dict(re.findall(r"^([a-z-]+)=(\S+)$", conf, re.MULTILINE))
        turn_ports = {turn["listening-port"], turn["tls-listening-port"]}
        relay = {f"{turn['min-port']}-{turn['max-port']}"}
    assert open_ports(rules, "tcp") == {"22", "80", "443"} | turn_ports
    assert open_ports(rules, "udp") == turn_ports | relay


def test_redis_listens_on_loopback_and_the_private_link_only(host, site, parts):
    needs(parts, "redis")
    config = host.file(REDIS_CONFIG).content_string
    bound = re.search(r"^bind\s+(.+)$", config, re.MULTILINE).group(1).split()
    port = re.search(r"^port\s+(\d+)$", config, re.MULTILINE).group(1)
    private = [address for address in bound if not address.startswith(("127.", "::1", "-::1"))]
    assert private and site.address not in bound and "0.0.0.0" not in bound, bound
    listening = host.check_output(f"ss -Htln 'sport = :{port}'")
    addresses = {line.split()[3].rsplit(":", 1)[0] for line in listening.splitlines()}
    assert addresses <= {"127.0.0.1", "[::1]", *private}, addresses
    # Only the web hosts' private addresses may reach it through the firewall.
    rules = host.check_output("nft list table inet visavis")
    assert port not in open_ports(rules, "tcp")
    assert re.search(rf"ip6? saddr \{{ [^}}]+ \}} tcp dport {port} accept", rules), rules


def test_redis_asks_for_a_password(host, parts):
    needs(parts, "redis")
    config = host.file(REDIS_CONFIG)
    assert re.search(r"^requirepass\s+\S{32,}$", config.content_string, re.MULTILINE)
    assert (config.user, config.group, config.mode) == ("redis", "redis", 0o640)
    unanswered = host.run("redis-cli -h 127.0.0.1 ping")
    assert "NOAUTH" in unanswered.stdout + unanswered.stderr


@pytest.mark.parametrize(
    ("part", "path", "mode", "user", "group"),
    [
        ("turn", "/etc/visavis/turn-secret", 0o600, "root", "root"),
        ("web", "/etc/visavis/resume-secret", 0o600, "root", "root"),
        ("web", "/etc/visavis/session-secret", 0o600, "root", "root"),
        ("web", "/etc/visavis/signaling.env", 0o640, "root", "visavis"),
        ("turn", "/etc/turnserver.conf", 0o640, "root", "turnserver"),
        ("turn", "/etc/coturn/tls/key.pem", 0o640, "root", "turnserver"),
        ("redis", "/etc/visavis/redis-password", 0o600, "root", "root"),
    ],
)
def test_secrets_and_keys_are_private(host, parts, part, path, mode, user, group):
    needs(parts, part)
    secret = host.file(path)
    assert secret.exists
    assert secret.mode == mode
    assert (secret.user, secret.group) == (user, group)


def test_nginx_private_key_is_root_only(host, site, parts):
    needs(parts, "web")
    config = host.file("/etc/nginx/sites-available/visavis.conf").content_string
    key = host.file(re.search(r"ssl_certificate_key\s+([^;]+);", config).group(1))
    assert key.exists
    # certbot keeps keys in a root-only archive; the self-signed key is 0600 itself.
    assert key.user == "root"
    assert key.mode & 0o077 == 0 or key.is_symlink


def test_certificate_names_the_domain_and_is_valid(site, parts):
    ports = ([443] if parts.web else []) + ([5349] if parts.turn else [])
    for port in ports:
        certificate = x509.load_der_x509_certificate(site.certificate(port))
        names = certificate.extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        ).value.get_values_for_type(x509.DNSName)
        assert site.domain in names, port
        remaining = certificate.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
        assert remaining > datetime.timedelta(days=7), port
        if not site.letsencrypt:
            common_name = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            assert common_name[0].value == site.domain
    if parts.web and parts.turn:
        assert site.certificate(443) == site.certificate(5349), "coturn serves another certificate"


def test_nginx_sends_the_security_headers(site, parts):
    needs(parts, "web")
    status, headers, body = site.request("/")
    assert status == 200
    assert b"<html" in body.lower()
    assert headers["server"] == "nginx"
    assert headers["strict-transport-security"].startswith("max-age=")
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert f"connect-src 'self' wss://{site.domain}" in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["permissions-policy"] == (
        "camera=(self), microphone=(self), display-capture=(self)"
    )
    assert headers["x-content-type-options"] == "nosniff"


def test_the_client_is_sent_compressed(site, parts):
    needs(parts, "web")
    plain = site.request("/js/main.js")
    status, headers, body = site.request("/js/main.js", headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == plain[2]
    assert len(body) < len(plain[2]) / 2


def test_meeting_links_open_the_client(site, parts):
    needs(parts, "web")
    status, headers, body = site.request("/abcd-efgh-jkmn")
    assert status == 200
    assert b"<html" in body.lower()
    assert "content-security-policy" in headers
    # A pasted spelling is sent to the canonical link; anything else gets the app's own page.
    status, headers, _ = site.request("/ABCD-EFGH-JKMN.")
    assert status == 301 and headers["location"].endswith("/abcd-efgh-jkmn")
    status, _, body = site.request("/not-a-meeting/at/all")
    assert status == 404 and b"Page not found" in body
    assert site.request("/metrics")[0] == 404  # loopback only, never through the site


def test_http_redirects_to_https_except_the_acme_challenge(site, parts):
    needs(parts, "web")
    status, headers, _ = site.request("/abcd-efgh-jkmn?x=1", port=80)
    assert status == 301
    assert headers["location"] == f"https://{site.domain}/abcd-efgh-jkmn?x=1"
    assert site.request("/.well-known/acme-challenge/missing", port=80)[0] == 404


def test_healthz_is_proxied_to_signaling(site, parts):
    needs(parts, "web")
    status, _, body = site.request("/healthz")
    assert (status, body) == (200, b"ok")


def created_through_nginx(site) -> dict:
    """What an anonymous socket through nginx hears when it asks for a new meeting."""
    import websockets

    async def create() -> dict:
        async with websockets.connect(
            f"wss://{site.domain}/ws",
            host=site.address,
            port=443,
            ssl=site.tls_context(),
            origin=f"https://{site.domain}",
            open_timeout=10,
        ) as socket:
            await socket.send(json.dumps({"type": "create"}))
            return json.loads(await asyncio.wait_for(socket.recv(), 10))

    return asyncio.run(create())


def test_signaling_has_the_turn_secret_coturn_has(host, parts):
    # Signaling signs the credentials coturn checks: on one host the same file; on a web host
    # of a split site, the TURN hosts' secret (their allocations are checked on each of them).
    needs(parts, "web")
    env = host.file("/etc/visavis/signaling.env").content_string
    secret = re.search(r"^VISAVIS_TURN_SECRET=(\S+)$", env, re.MULTILINE).group(1)
    assert len(secret) == 64
    if parts.turn:
        assert host.check_output("cat /etc/visavis/turn-secret").strip() == secret


def access(host) -> str:
    """VISAVIS_ACCESS of the deployed service: "hosts" or "open"."""
    env = host.file("/etc/visavis/signaling.env").content_string
    found = re.search(r"^VISAVIS_ACCESS=(\w+)$", env, re.MULTILINE)
    return found.group(1) if found else "open"


def test_websocket_upgrade_through_nginx_reaches_signaling(host, site, parts):
    needs(parts, "web")
    answer = created_through_nginx(site)
    if access(host) == "hosts":
        # Only signed-in hosts start meetings: an anonymous socket is refused, and told why.
        assert (answer["type"], answer["code"]) == ("error", "hosts-only"), answer
        return
    assert answer["type"] == "joined"
    urls = [url for server in answer["ice_servers"] for url in server["urls"]]
    assert any(url.startswith("turn:") for url in urls)
    assert any(url.startswith("turns:") for url in urls)


def test_hosts_endpoints_are_proxied_and_the_enrolment_page_served(host, site, parts):
    needs(parts, "web")
    status, _, body = site.request("/auth/me")
    assert status == 200 and json.loads(body)["access"] == access(host)
    status, _, page = site.request("/enrol")
    assert status == 200 and b'id="enrol"' in page


def test_the_hosts_state_is_the_services_own(host, parts):
    needs(parts, "web")
    if access(host) != "hosts":
        pytest.skip("VISAVIS_ACCESS=open")
    state = host.file("/var/lib/visavis")
    assert state.is_directory and state.user == "visavis" and state.mode == 0o700


def turn_credentials(host) -> tuple[str, str]:
    """Fresh credentials made as signaling makes them (TURN REST: HMAC-SHA1 of
    `expiry:user` with the shared secret, read from the host), so this check needs no
    meeting (an anonymous socket cannot start one where only hosts may)."""
    import base64
    import hashlib
    import hmac
    import time

    secret = host.check_output("cat /etc/visavis/turn-secret").strip()
    username = f"{int(time.time()) + 600}:verify"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def test_turn_allocation_with_fresh_credentials_succeeds(host, site, parts):
    needs(parts, "turn")
    username, password = turn_credentials(host)
    reply = stun.allocate(site.address, 3478, username, password)
    assert reply.kind == stun.ALLOCATE_SUCCESS, f"error {reply.error_code}"
    assert reply.relayed_address


def test_turn_allocation_with_a_wrong_password_is_refused(host, site, parts):
    needs(parts, "turn")
    username, password = turn_credentials(host)
    reply = stun.allocate(site.address, 3478, username, "x" + password)
    assert reply.kind == stun.ALLOCATE_ERROR
    assert reply.error_code == 401


def test_coturn_accepted_its_whole_configuration(host, parts):
    needs(parts, "turn")
    invocation = host.check_output("systemctl show -p InvocationID --value coturn")
    log = host.check_output(f"journalctl -u coturn _SYSTEMD_INVOCATION_ID={invocation} --no-pager")
    assert "Bad configuration format" not in log
    assert "CONFIG ERROR" not in log
