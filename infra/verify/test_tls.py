"""TLS as someone else's scanner sees it, and TURN over TLS on port 443 beside the site.

sslyze (its own virtualenv, VISAVIS_SSLYZE; `make verify` installs it; driven through its
API by sslyze_check.py) checks the site (443), TURN over TLS on 443 (by its name) and
coturn's own TLS port against Mozilla's "intermediate" profile; every point must pass but
the trust of a self-signed certificate.
VISAVIS_VERIFY_CA_FILE adds a CA to trust (a private or test ACME server's root).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import stun
from conftest import needs
from cryptography import x509
from test_host import turn_credentials

TURNS_PORT = 5349
# seconds for one target's check (coturn's takes 1.5-3 min: see sslyze_check.py); sslyze can
# also hang outright (nabla-c0d3/sslyze#217), so a check past this is killed and fails.
CHECK_TIMEOUT = 600
CHECK = Path(__file__).with_name("sslyze_check.py")


def needs_turns_on_443(site) -> None:
    if site.turns_name is None:
        pytest.skip("TURN over TLS on 443 is off (nginx_turns_on_443: false)")


def test_turn_on_443_serves_coturns_certificate_under_its_own_name(site):
    needs_turns_on_443(site)
    certificate = x509.load_der_x509_certificate(site.certificate(443, site.turns_name))
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert site.turns_name in names.value.get_values_for_type(x509.DNSName)
    assert site.certificate(443, site.turns_name) == site.certificate(TURNS_PORT)


def test_turn_allocation_over_tls_on_443_succeeds(host, site):
    needs_turns_on_443(site)
    username, password = turn_credentials(host)
    reply = stun.allocate(site.address, 443, username, password, tls_name=site.turns_name)
    assert reply.kind == stun.ALLOCATE_SUCCESS, f"error {reply.error_code}"
    # Relayed from the address TURN over UDP relays from (not from loopback, say, where
    # nginx could have reached coturn): the other person can send to it.
    over_udp = stun.allocate(site.address, 3478, username, password)
    assert reply.relayed_address.split(":")[0] == over_udp.relayed_address.split(":")[0]
    wrong = stun.allocate(site.address, 443, username, "x" + password, tls_name=site.turns_name)
    assert (wrong.kind, wrong.error_code) == (stun.ALLOCATE_ERROR, 401)


def test_the_site_still_answers_on_443_beside_turn(site, parts):
    needs(parts, "web")
    status, _, body = site.request("/healthz")
    assert (status, body) == (200, b"ok")


def start_check(site, target: str) -> subprocess.Popen:
    """sslyze_check.py on target ("name:port": the name goes into SNI, the connection to the
    host's address), run by sslyze's own Python in the background."""
    sslyze = os.environ.get("VISAVIS_SSLYZE")
    if not sslyze:
        pytest.fail("VISAVIS_SSLYZE names no sslyze: run this through `make verify`")
    name, port = target.rsplit(":", 1)
    command = [str(Path(sslyze).with_name("python")), "-W", "ignore", str(CHECK)]
    command += [name, port, site.address]
    if os.environ.get("VISAVIS_VERIFY_CA_FILE"):
        command += ["--ca-file", os.environ["VISAVIS_VERIFY_CA_FILE"]]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def check_result(target: str, check: subprocess.Popen) -> dict:
    """{"issues": [...], "notes": [...]} from a started check; raises AssertionError if it
    failed or gave no verdict within CHECK_TIMEOUT seconds."""
    try:
        stdout, stderr = check.communicate(timeout=CHECK_TIMEOUT)
    except subprocess.TimeoutExpired:
        check.kill()
        check.communicate()
        raise AssertionError(f"{target}: sslyze gave no verdict in {CHECK_TIMEOUT} s") from None
    assert check.returncode == 0, f"{target}: {stderr[-3000:]}"
    return json.loads(stdout)


def test_tls_passes_mozillas_intermediate_profile(site, parts):
    targets = [f"{site.domain}:443"] if parts.web else []
    targets += [f"{site.domain}:{TURNS_PORT}"] if parts.turn else []
    if not targets:
        pytest.skip("this host serves no TLS (the Redis host)")
    targets += [f"{site.turns_name}:443"] if site.turns_name else []
    # One check per target, all at once: coturn's two take minutes, mostly waiting.
    checks = {target: start_check(site, target) for target in targets}
    results = {target: check_result(target, check) for target, check in checks.items()}
    # Only a self-signed certificate may fail, and only for being self-signed.
    tolerated = () if site.letsencrypt else ("certificate_path_validation:",)
    problems = {
        target: [issue for issue in result["issues"] if not issue.startswith(tolerated)]
        for target, result in results.items()
    }
    assert problems == {target: [] for target in targets}, results
