"""`make verify HOST=...`: testinfra checks of a deployed visavis host, over SSH."""

from __future__ import annotations

import http.client
import os
import re
import socket
import ssl
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

# nginx's TLS router on 443 (the nginx role's nginx_stream_file), when TURN runs on 443.
TLS_ROUTER = "/etc/nginx/modules-enabled/90-visavis-stream.conf"
NGINX_SITE = "/etc/nginx/sites-available/visavis.conf"
# The inventory groups that split a site over several hosts (infra/ansible/site.yml).
GROUPS = ("web", "turn", "redis")


@dataclass(frozen=True)
class Parts:
    """What runs on the host under test: from its inventory groups when `make verify` has an
    inventory that splits the site (web: signaling and nginx, turn: coturn, redis: the web
    hosts' Redis), else everything but that Redis, as on one host."""

    web: bool
    turn: bool
    redis: bool
    # The signaling instances' loopback ports, from the units the deploy enabled.
    signaling_ports: tuple[int, ...]
    # What the inventory says of the instances (None: it does not say; the default is 1).
    instances_wanted: int | None


def inventory_variables(host) -> dict:
    """The host's inventory variables and groups; {} when verified over plain SSH."""
    ansible = getattr(host.backend, "ansible_runner", None)
    return ansible.get_variables(host.backend.host) if ansible is not None else {}


def signaling_ports(host) -> tuple[int, ...]:
    """Ports of the enabled signaling units: visavis-signaling (one instance, the port in its
    environment file) or visavis-signaling@<port> (several)."""
    wants = "/etc/systemd/system/multi-user.target.wants"
    listed = host.run(f"ls {wants}").stdout.split()
    unit = re.compile(r"visavis-signaling@(\d+)\.service")
    ports = sorted(int(found.group(1)) for name in listed if (found := unit.fullmatch(name)))
    if "visavis-signaling.service" in listed:
        env = host.file("/etc/visavis/signaling.env").content_string
        found = re.search(r"^VISAVIS_PORT=(\d+)$", env, re.MULTILINE)
        ports.append(int(found.group(1)) if found else 8000)
    return tuple(ports)


@pytest.fixture(scope="module")
def parts(host) -> Parts:
    variables = inventory_variables(host)
    mine = set(variables.get("group_names", [])) & set(GROUPS)
    split = any(variables.get("groups", {}).get(group) for group in GROUPS)
    wanted = variables.get("signaling_instances")
    web = not split or "web" in mine
    return Parts(
        web=web,
        turn=not split or "turn" in mine,
        redis="redis" in mine,
        signaling_ports=signaling_ports(host) if web else (),
        instances_wanted=int(wanted) if str(wanted).isdigit() else None,
    )


def needs(parts: Parts, part: str) -> None:
    """Skip a check of a part this host does not run."""
    if not getattr(parts, part):
        pytest.skip(f"this host runs no {part} part (inventory groups)")


@dataclass(frozen=True)
class Site:
    domain: str  # the name nginx answers to, read from the host's configuration
    address: str  # where the controller reaches the host
    letsencrypt: bool
    # The name nginx passes to coturn on 443 (TURN over TLS beside the site), or None.
    turns_name: str | None = None

    def tls_context(self) -> ssl.SSLContext:
        # The certificate is checked by the tests themselves (subject, expiry, issuer).
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context

    def request(self, path: str, port: int = 443, headers: dict[str, str] | None = None):
        """GET path from nginx with the site's name; returns (status, headers, body)."""
        raw = socket.create_connection((self.address, port), timeout=10)
        sock = (
            self.tls_context().wrap_socket(raw, server_hostname=self.domain) if port == 443 else raw
        )
        with sock:
            lines = [f"GET {path} HTTP/1.1", f"Host: {self.domain}", "Connection: close"]
            lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            response = http.client.HTTPResponse(sock)
            response.begin()
            body = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body

    def certificate(self, port: int, name: str | None = None) -> bytes:
        """The DER certificate served on port (443: nginx, 5349: coturn) to a ClientHello
        asking for name (the domain unless given)."""
        with (
            socket.create_connection((self.address, port), timeout=10) as raw,
            self.tls_context().wrap_socket(raw, server_hostname=name or self.domain) as sock,
        ):
            return sock.getpeercert(binary_form=True)


@pytest.fixture(scope="module")
def site(host, parts) -> Site:
    target = os.environ.get("VISAVIS_VERIFY_ADDRESS") or host.backend.get_hostname()
    address = socket.getaddrinfo(target, 443, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
    if not parts.web:
        # A TURN host: its certificate names the host (the certs role's certs_domain).
        names = host.check_output("ls /etc/letsencrypt/renewal 2>/dev/null || true").split()
        domain = names[0].removesuffix(".conf") if names else target
        return Site(domain=domain, address=address, letsencrypt=bool(names))
    config = host.file(NGINX_SITE).content_string
    domain = re.search(r"^\s*server_name\s+([^;\s]+);", config, re.MULTILINE).group(1)
    letsencrypt = host.file(f"/etc/letsencrypt/renewal/{domain}.conf").exists
    router = host.file(TLS_ROUTER)
    routed = router.exists and re.search(r"^\s*(\S+)\s+unix:\S*turns", router.content_string, re.M)
    turns_name = routed.group(1) if routed else None
    return Site(domain=domain, address=address, letsencrypt=letsencrypt, turns_name=turns_name)
