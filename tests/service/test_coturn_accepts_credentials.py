"""A real coturn with `use-auth-secret` accepts our credentials and refuses bad ones."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest

from signaling.turn import turn_credentials
from tests import loopback

SECRET = "a-secret-generated-for-this-test"


@pytest.fixture(scope="module")
def coturn(tmp_path_factory) -> Iterator[int]:
    if shutil.which("turnserver") is None:
        pytest.fail("coturn is not installed: `make test` installs it with apt-get")
    with loopback.coturn(tmp_path_factory.mktemp("coturn"), SECRET) as (port, _):
        yield port


def allocate_and_echo(port: int, username: str, password: str) -> str:
    result = subprocess.run(
        [
            "turnutils_uclient",
            "-p",
            str(port),
            "-n",
            "1",
            "-m",
            "1",
            "-y",
            "-u",
            username,
            "-w",
            password,
            "127.0.0.1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout + result.stderr


def test_coturn_relays_with_our_credentials(coturn):
    username, password = turn_credentials(SECRET, int(time.time()) + 600, "alice")

    output = allocate_and_echo(coturn, username, password)

    totals = re.findall(r"start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)", output)
    assert "Cannot complete Allocation" not in output
    assert totals, output[-2000:]
    sent, received = map(int, totals[-1])
    assert received == sent > 0  # every message came back through the relay


def test_coturn_refuses_expired_credentials(coturn):
    username, password = turn_credentials(SECRET, int(time.time()) - 10, "alice")

    assert "Cannot complete Allocation" in allocate_and_echo(coturn, username, password)


def test_coturn_refuses_credentials_made_with_another_secret(coturn):
    username, password = turn_credentials("not-the-secret", int(time.time()) + 600, "alice")

    assert "Cannot complete Allocation" in allocate_and_echo(coturn, username, password)
