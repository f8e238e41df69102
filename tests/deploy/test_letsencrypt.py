"""Let's Encrypt mode against a local pebble: issuance, both services serving it, renewal,
and a renewal during a call relayed over TURNS whose media keeps flowing.

Runs after test_deploy.py on the same host, which it switches from self-signed.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from .conftest import REPO, Deployment, write_inventory
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


HOLD_SECONDS = 45  # the call, sampled from the renewal's start to well after its end


def renew_during_a_call_over_turns(deployment: Deployment) -> tuple[dict, dict]:
    """Start a call relayed over TURNS, force a renewal while it runs, and return what the
    browsers saw ({"host": samples, "guest": samples}) and what the test saw around the
    renewal (times, certificates, coturn's main PID)."""
    printed = deployment.make("enrol", "NAME=deploy-test")
    link = [line for line in printed.splitlines() if line.startswith("https://")][-1]
    host = deployment.host
    arguments = [deployment.domain, host.address, link, str(HOLD_SECONDS)]
    driver = subprocess.Popen(
        [sys.executable, "-m", "tests.deploy.renewal_call", *arguments],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: dict = {}
    try:
        assert driver.stdout is not None
        connected = driver.stdout.readline()
        assert connected.startswith('{"connected"'), connected + driver.stderr.read()[-5000:]
        seen["pid"] = host.run("systemctl show --value -p MainPID coturn").strip()
        seen["certificate"] = served_certificate(deployment, 5349).serial_number
        seen["renewal_started"] = time.time() * 1000
        host.run(
            f"REQUESTS_CA_BUNDLE={ACME_CA} certbot renew --force-renewal "
            "--no-random-sleep-on-renew",
            timeout=120,
        )
        seen["renewal_ended"] = time.time() * 1000
        seen["renewed_certificate"] = served_certificate(deployment, 5349).serial_number
        seen["pid_after"] = host.run("systemctl show --value -p MainPID coturn").strip()
        stdout, stderr = driver.communicate(timeout=HOLD_SECONDS + 60)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.communicate()
    assert driver.returncode == 0, stderr[-5000:]
    return json.loads(stdout.splitlines()[-1])["samples"], seen


# Alone (-k) it also boots the host and deploys twice: 15 minutes on a busy machine.
@pytest.mark.timeout(1800)
def test_a_call_relayed_over_turns_keeps_its_media_through_a_renewal(letsencrypt, measure):
    samples, seen = renew_during_a_call_over_turns(letsencrypt)

    # TURNS served the new certificate at once, from the same coturn process.
    assert seen["renewed_certificate"] != seen["certificate"]
    assert seen["pid_after"] == seen["pid"] != "0"
    reloads = letsencrypt.host.run("journalctl -u coturn -o cat | grep -c 'Reloading TLS'")
    assert int(reloads) >= 1
    for name, side in samples.items():
        # Relayed over TLS to the deployed coturn, the whole time.
        assert {(s["localType"], s["relayProtocol"]) for s in side} == {("relay", "tls")}, side
        assert {s["localAddress"] for s in side} == {letsencrypt.host.address}
        assert {s["ice"] for s in side} <= {"connected", "completed"}, side
        before = [s for s in side if s["at"] < seen["renewal_started"]]
        after = [s for s in side if s["at"] > seen["renewal_ended"]]
        assert before and len(after) >= 10, (seen, side[0]["at"], side[-1]["at"])
        # Media kept arriving: no moment without new bytes or frames for long, from before the
        # renewal to the end (the browsers share two busy cores: a hiccup is not a drop).
        timeline = [
            (
                round((s["at"] - seen["renewal_started"]) / 1000, 1),
                s["framesDecoded"],
                s["bytesReceived"],
            )
            for s in side
        ]
        stall = max_stall_seconds(side, "framesDecoded")
        bytes_stall = max_stall_seconds(side, "bytesReceived")
        renewal_window = (0, (seen["renewal_ended"] - seen["renewal_started"]) / 1000)
        assert bytes_stall < 3 and stall < 3, f"{name}: {renewal_window=} {timeline}"
        assert after[-1]["framesDecoded"] > before[-1]["framesDecoded"]
        renewal = (seen["renewal_ended"] - seen["renewal_started"]) / 1000
        frames = after[-1]["framesDecoded"] - before[-1]["framesDecoded"]
        received = (after[-1]["bytesReceived"] - before[-1]["bytesReceived"]) / 1e6
        measure(
            f"{name}: {frames} frames, {received:.2f} MB received over TURNS across the renewal "
            f"({renewal:.1f} s) and the {(after[-1]['at'] - seen['renewal_ended']) / 1000:.0f} s "
            f"after it; longest time without a new frame {stall:.1f} s, without new bytes "
            f"{bytes_stall:.1f} s"
        )


def max_stall_seconds(side: list[dict], counter: str) -> float:
    """The longest time between two samples that saw `counter` grow."""
    moments = [
        later["at"]
        for earlier, later in zip(side, side[1:], strict=False)
        if later[counter] > earlier[counter]
    ]
    gaps = [b - a for a, b in zip(moments, moments[1:], strict=False)]
    return max(gaps, default=float("inf")) / 1000
