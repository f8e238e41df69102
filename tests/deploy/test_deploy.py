"""`make deploy` and `make verify` against a real booted Debian 12 host (systemd-nspawn).

The tests run in file order on one host: deploy, verify, deploy again (nothing changes), then
deploys that must replace a self-signed certificate no longer good.
"""

from __future__ import annotations

import base64
import re
import socket
import ssl
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .conftest import DOMAIN

pytestmark = pytest.mark.timeout(900)


def recap(output: str) -> dict[str, int]:
    line = re.search(r"^\S+\s+:\s+(ok=.*)$", output, re.MULTILINE).group(1)
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line)}


def test_deploy_provisions_a_fresh_host(first_deploy):
    counts = recap(first_deploy)
    assert counts["failed"] == 0
    assert counts["unreachable"] == 0
    assert counts["changed"] > 0


def test_verify_passes_on_the_deployed_host(deployment, first_deploy):
    output = deployment.make("verify")
    assert " passed" in output
    assert "failed" not in output.splitlines()[-1]


def test_second_deploy_changes_nothing(deployment, first_deploy):
    counts = recap(deployment.deploy("selfsigned"))
    assert counts["failed"] == 0
    assert counts["changed"] == 0, "the playbook is not idempotent"


def test_secret_never_appears_in_the_deploy_output(deployment, first_deploy):
    secret = deployment.host.run("cat /etc/visavis/turn-secret").strip()
    logs = list(deployment.host.workdir.glob("make-*.log"))
    leaked = [log.name for log in logs if secret in log.read_text()]
    assert len(secret) == 64 and logs
    assert not leaked, "the TURN secret was printed"


def served_certificate(deployment) -> x509.Certificate:
    """What nginx presents on 443 to a ClientHello asking for the domain."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((deployment.host.address, 443), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=deployment.domain) as sock,
    ):
        return x509.load_der_x509_certificate(sock.getpeercert(binary_form=True))


def self_signed_on_host(deployment, days: int, names: list[str]) -> None:
    """Put a self-signed certificate (and key) where the certs role keeps its own."""
    alt_names = ",".join(f"DNS:{name}" for name in names)
    deployment.host.run(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        f"-days {days} -subj /CN={deployment.domain} -addext subjectAltName={alt_names} "
        "-keyout /etc/visavis/tls/key.pem -out /etc/visavis/tls/cert.pem 2>/dev/null"
    )


@pytest.mark.parametrize(
    ("days", "names"),
    [
        (825, [DOMAIN]),  # an earlier deploy's: too long for the profile, no TURN name
        (10, [DOMAIN, f"turn.{DOMAIN}"]),  # good, but ends within the renewal window
    ],
)
def test_redeploy_replaces_a_self_signed_certificate_no_longer_good(
    deployment, first_deploy, days, names
):
    self_signed_on_host(deployment, days, names)
    counts = recap(deployment.deploy("selfsigned"))
    assert counts["failed"] == 0

    der = "openssl x509 -in {} -outform der | base64 -w0"
    on_disk = base64.b64decode(deployment.host.run(der.format("/etc/visavis/tls/cert.pem")))
    certificate = x509.load_der_x509_certificate(on_disk)
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert lifetime.days == 365
    alt_names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert alt_names.value.get_values_for_type(x509.DNSName) == [DOMAIN, f"turn.{DOMAIN}"]
    # coturn got a copy (TURN over TLS on 5349 and, through nginx, on 443) and nginx, which
    # reloads at the end of the deploy, serves it.
    copy = base64.b64decode(deployment.host.run(der.format("/etc/coturn/tls/cert.pem")))
    assert copy == on_disk
    deadline = time.monotonic() + 15
    while served_certificate(deployment).public_bytes(serialization.Encoding.DER) != on_disk:
        assert time.monotonic() < deadline, "nginx still serves the replaced certificate"
        time.sleep(0.5)
