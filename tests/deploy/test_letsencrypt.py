"""Let's Encrypt mode against a local pebble: issuance, both services serving it, renewal.

Runs after test_deploy.py on the same host, which it switches from self-signed.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from .conftest import Deployment, write_inventory
from .pebble import Pebble, running_pebble
from .test_deploy import recap

pytestmark = pytest.mark.timeout(900)
ACME_CA = "/etc/visavis-test/acme-ca.pem"
TURN_NAME = "turn.visavis.test"  # nginx_turns_name's default for the test's domain


@pytest.fixture(scope="module")
def pebble(deployment) -> Iterator[Pebble]:
    with running_pebble(deployment.host) as server:
        yield server


@pytest.fixture(scope="module")
def letsencrypt(deployment, first_deploy, pebble) -> Deployment:
    host = deployment.host
    host.run(f"install -d /etc/visavis-test && cat > {ACME_CA}", input=pebble.ca_file.read_text())
    # Test-only knobs: the ACME server's address and the CA its HTTPS endpoint uses.
    inventory = write_inventory(
        host,
        extra=(
            f"      certs_letsencrypt_server: {pebble.directory_url}\n"
            "      certs_letsencrypt_environment:\n"
            f"        REQUESTS_CA_BUNDLE: {ACME_CA}\n"
        ),
        name="hosts-letsencrypt.yml",
    )
    switched = Deployment(host=host, inventory=inventory)
    counts = recap(switched.deploy("letsencrypt", "EMAIL=ops@visavis.test"))
    assert counts["failed"] == 0
    return switched


def served_certificate(deployment: Deployment, port: int) -> x509.Certificate:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((deployment.host.address, port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=deployment.domain) as sock,
    ):
        return x509.load_der_x509_certificate(sock.getpeercert(binary_form=True))


def issuer_name(certificate: x509.Certificate) -> str:
    return certificate.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


def test_nginx_and_coturn_serve_the_issued_certificate(letsencrypt):
    on_nginx = served_certificate(letsencrypt, 443)
    on_coturn = served_certificate(letsencrypt, 5349)
    assert "Pebble" in issuer_name(on_nginx)
    assert on_nginx == on_coturn
    names = on_nginx.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    # The TURN name nginx routes to coturn on 443 is on it too (pebble validated both).
    assert sorted(names.get_values_for_type(x509.DNSName)) == [TURN_NAME, letsencrypt.domain]


def test_verify_passes_in_letsencrypt_mode(letsencrypt, pebble):
    # The scanner trusts pebble's root as it would Let's Encrypt's: the chain must verify.
    roots = letsencrypt.host.workdir / "pebble-roots.pem"
    roots.write_text(pebble.issuing_roots())
    output = letsencrypt.make("verify", f"VISAVIS_VERIFY_CA_FILE={roots}")
    assert " passed" in output


def test_letsencrypt_deploy_is_idempotent(letsencrypt):
    counts = recap(letsencrypt.deploy("letsencrypt", "EMAIL=ops@visavis.test"))
    assert counts["changed"] == 0


def test_forced_renewal_reaches_nginx_and_coturn(letsencrypt):
    before = served_certificate(letsencrypt, 443).serial_number
    letsencrypt.host.run(
        f"REQUESTS_CA_BUNDLE={ACME_CA} certbot renew --force-renewal --no-random-sleep-on-renew",
        timeout=300,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        serials = set()
        for port in (443, 5349):
            try:
                serials.add(served_certificate(letsencrypt, port).serial_number)
            except OSError:
                serials.add(None)  # coturn is restarting
        if len(serials) == 1 and before not in serials and None not in serials:
            break
        time.sleep(1)
    assert len(serials) == 1 and before not in serials, "a service still serves the old certificate"
    modes = letsencrypt.host.run(
        "stat -c '%a %U %G' /etc/coturn/tls/cert.pem /etc/coturn/tls/key.pem"
    )
    assert modes.split("\n")[:2] == ["644 root turnserver", "640 root turnserver"]
