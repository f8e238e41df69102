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
def site(host) -> Site:
    config = host.file("/etc/nginx/sites-available/visavis.conf").content_string
    domain = re.search(r"^\s*server_name\s+([^;\s]+);", config, re.MULTILINE).group(1)
    target = os.environ.get("VISAVIS_VERIFY_ADDRESS") or host.backend.get_hostname()
    address = socket.getaddrinfo(target, 443, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
    letsencrypt = host.file(f"/etc/letsencrypt/renewal/{domain}.conf").exists
    router = host.file(TLS_ROUTER)
    routed = router.exists and re.search(r"^\s*(\S+)\s+unix:\S*turns", router.content_string, re.M)
    turns_name = routed.group(1) if routed else None
    return Site(domain=domain, address=address, letsencrypt=letsencrypt, turns_name=turns_name)
