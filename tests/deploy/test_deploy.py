"""`make deploy` and `make verify` against a real booted Debian 12 host (systemd-nspawn).

The tests run in file order on one host: deploy, verify, deploy again (nothing changes).
"""

from __future__ import annotations

import re

import pytest

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
