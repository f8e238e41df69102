"""coturn behind a cloud provider's 1:1 NAT from the one setting `coturn_external_ip`: the
role's detected private address (the host's default-route IPv4 address) completes it to
"public/private", coturn relays from that address, and exactly that address passes the deny
list. Resolved with Ansible, without a host; tests/network/test_cloud_nat.py runs it."""

from __future__ import annotations

import re

import pytest

from tests.templates import render_templates

# The facts a cloud VM reports: only its inside address is on an interface (a test address
# stands for the private one, as in the NAT lab: tests/network/cloud_nat.py).
CLOUD_FACTS = {"default_ipv4": {"address": "198.18.10.10"}}
SITE = {
    "visavis_domain": "visavis.test",
    "coturn_static_auth_secret": "secret",
    "certs_certificate_path": "/c.pem",
    "certs_private_key_path": "/k.pem",
    "nginx_dhparam_file": "/d.pem",
}


def nat_lines(tmp_path, **variables) -> list[str]:
    render_templates(tmp_path, **SITE, **variables)
    text = (tmp_path / "turnserver.conf").read_text()
    return re.findall(r"^(?:external-ip|relay-ip|allowed-peer-ip)=.*$", text, re.MULTILINE)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("203.0.113.7", "203.0.113.7/198.18.10.10"),  # the private part detected
        ("203.0.113.7/198.18.10.11", "203.0.113.7/198.18.10.11"),  # written out: taken as it is
    ],
)
def test_the_public_address_alone_gets_the_detected_private_one(tmp_path, setting, expected):
    lines = nat_lines(tmp_path, coturn_external_ip=setting, ansible_facts=CLOUD_FACTS)

    private = expected.split("/")[1]
    assert lines == [
        f"relay-ip={private}",
        f"external-ip={expected}",
        f"allowed-peer-ip={private}",  # that one address, nothing wider
    ]


def test_the_public_address_on_the_host_itself_is_no_nat(tmp_path):
    facts = {"default_ipv4": {"address": "203.0.113.7"}}

    lines = nat_lines(tmp_path, coturn_external_ip="203.0.113.7", ansible_facts=facts)

    assert lines == ["external-ip=203.0.113.7"]  # nothing to map, nothing to allow
