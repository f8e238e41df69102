"""TLS as someone else's scanner sees it, and TURN over TLS on port 443 beside the site.

sslyze (run from its own virtualenv, VISAVIS_SSLYZE; `make verify` installs it) checks the
site (443), TURN over TLS on 443 (by its name) and coturn's own TLS port against Mozilla's
"intermediate" profile; every point must pass but the trust of a self-signed certificate.
VISAVIS_VERIFY_CA_FILE adds a CA to trust (a private or test ACME server's root).
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import stun
from conftest import needs
from cryptography import x509
from test_host import turn_credentials

TURNS_PORT = 5349
SSLYZE_TIMEOUT = 900  # seconds: three targets scanned at once take minutes on a busy host
# coturn sometimes lets sslyze's CCS-injection probe time out (seen on a Debian 13 host in
# Let's Encrypt mode, the slow rerun too): a target whose scan did not complete gets this
# many reruns alone; a scan that never completes still fails.
SLOW_ATTEMPTS = 2


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


def mozilla_issues(output: str) -> dict[str, list[str]]:
    """sslyze's compliance section: {"name:port": ["criterion: description", ...]}; a
    compliant target has an empty list. Raises AssertionError when a target has no verdict."""
    section = output.split("COMPLIANCE AGAINST", 1)[-1]
    verdicts: dict[str, list[str]] = {}
    current = None
    for line in section.splitlines():
        verdict = re.match(r"^ {4}(\S+:\d+)(?: \([^)]*\))?: (OK|FAILED|ERROR)", line)
        if verdict:
            current = verdict.group(1)
            verdicts[current] = [] if verdict.group(2) != "ERROR" else ["scan: did not complete"]
        elif current and (issue := re.match(r"^ {8}\* (.+)$", line)):
            verdicts[current].append(issue.group(1))
    return verdicts


def scan(site, targets: list[str], *options: str) -> tuple[dict[str, list[str]], str]:
    """sslyze's verdicts on targets ("name:port", reached at the host's address) and its
    output."""
    sslyze = os.environ.get("VISAVIS_SSLYZE")
    if not sslyze:
        pytest.fail("VISAVIS_SSLYZE names no sslyze: run this through `make verify`")
    command = [sslyze, "--mozilla_config", "intermediate", *options]
    if os.environ.get("VISAVIS_VERIFY_CA_FILE"):
        command += ["--certinfo_ca_file", os.environ["VISAVIS_VERIFY_CA_FILE"]]
    # name:port{address}: the name goes into SNI, the connection to the host's address.
    command += [f"{target}{{{site.address}}}" for target in targets]
    done = subprocess.run(command, capture_output=True, text=True, timeout=SSLYZE_TIMEOUT)
    verdicts = mozilla_issues(done.stdout)
    assert set(verdicts) == set(targets), done.stdout[-3000:] + done.stderr[-2000:]
    return verdicts, done.stdout


def test_tls_passes_mozillas_intermediate_profile(site, parts):
    targets = [f"{site.domain}:443"] if parts.web else []
    targets += [f"{site.domain}:{TURNS_PORT}"] if parts.turn else []
    if not targets:
        pytest.skip("this host serves no TLS (the Redis host)")
    targets += [f"{site.turns_name}:443"] if site.turns_name else []
    verdicts, output = scan(site, targets)
    # A scan cut short by a busy server (a timeout in one of its many probes) runs again,
    # alone and with fewer connections at once, as sslyze advises.
    for target in [t for t, issues in verdicts.items() if "scan: did not complete" in issues]:
        for _ in range(SLOW_ATTEMPTS):
            again, more = scan(site, [target], "--slow_connection")
            verdicts.update(again)
            output += more
            if "scan: did not complete" not in again[target]:
                break
    # Only a self-signed certificate may fail, and only for being self-signed.
    tolerated = () if site.letsencrypt else ("certificate_path_validation:",)
    problems = {
        target: [issue for issue in issues if not issue.startswith(tolerated)]
        for target, issues in verdicts.items()
    }
    assert problems == {target: [] for target in targets}, output[-3000:]
