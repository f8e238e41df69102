"""A local ACME server for the Let's Encrypt mode: Debian's pebble and pebble-challtestsrv.

Both listen only on the controller's end of the test host's veth. challtestsrv answers DNS
for pebble with the test host's address, so pebble validates HTTP-01 challenges against the
host's nginx. pebble's own HTTPS uses a certificate made here, for its address.
"""

from __future__ import annotations

import contextlib
import json
import os
import ssl
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.certs import EC_KEY, self_signed

from .host import TestHost, port_open, wait_for


@dataclass(frozen=True)
class Pebble:
    directory_url: str
    ca_file: Path  # trust for pebble's ACME endpoint (not for the certificates it issues)
    management_url: str

    def issuing_roots(self) -> str:
        """The PEM root pebble signs with (made anew at each start)."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        with urllib.request.urlopen(f"{self.management_url}/roots/0", context=context) as reply:
            return reply.read().decode()


def make_endpoint_certificate(workdir: Path, address: str) -> tuple[Path, Path, Path]:
    """A test CA and, signed by it from a request, a certificate for pebble's `address`:
    (CA certificate, certificate, key)."""
    ca_cert, ca_key = self_signed(workdir, "visavis test ACME CA", files=("ca.pem", "ca-key.pem"))
    key, csr, cert = workdir / "key.pem", workdir / "csr.pem", workdir / "cert.pem"
    quiet = {"check": True, "capture_output": True}
    subprocess.run(
        ["openssl", "req", *EC_KEY, "-subj", f"/CN={address}", "-keyout", str(key)]
        + ["-out", str(csr)],
        **quiet,
    )
    extensions = workdir / "san.cnf"
    extensions.write_text(f"subjectAltName=IP:{address}\n")
    subprocess.run(
        ["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key)]
        + ["-CAcreateserial", "-days", "2", "-extfile", str(extensions), "-out", str(cert)],
        **quiet,
    )
    return ca_cert, cert, key


@contextlib.contextmanager
def running_pebble(host: TestHost) -> Iterator[Pebble]:
    workdir = host.workdir / "pebble"
    workdir.mkdir()
    address = host.gateway
    ca_cert, cert, key = make_endpoint_certificate(workdir, address)
    config = workdir / "pebble-config.json"
    config.write_text(
        json.dumps(
            {
                "pebble": {
                    "listenAddress": f"{address}:14000",
                    "managementListenAddress": f"{address}:15000",
                    "certificate": str(cert),
                    "privateKey": str(key),
                    "httpPort": 80,
                    "tlsPort": 443,
                    "ocspResponderURL": "",
                    "externalAccountBindingRequired": False,
                    # Let's Encrypt's 90 days, not pebble's 5 years: make verify's scanner
                    # holds certificates to Mozilla's limit of 366 days.
                    "certificateValidityPeriod": 90 * 86400,
                }
            }
        )
    )
    environment = {**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"}
    processes: list[subprocess.Popen] = []
    # The port must be free: a pebble left by a killed run would answer with its own CA.
    assert not port_open(address, 14000), f"something already listens on {address}:14000"
    try:
        for command in (
            [
                "pebble-challtestsrv",
                "-defaultIPv4",
                host.address,
                "-defaultIPv6",
                "",
                "-dns01",
                f"{address}:8053",
                "-http01",
                "",
                "-https01",
                "",
                "-tlsalpn01",
                "",
                "-management",
                f"{address}:8055",
            ],
            ["pebble", "-config", str(config), "-dnsserver", f"{address}:8053"],
        ):
            log = open(workdir / f"{command[0]}.log", "wb")  # noqa: SIM115 - closed at exit
            processes.append(
                subprocess.Popen(
                    command,
                    cwd=workdir,
                    env=environment,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        wait_for("pebble listening", lambda: port_open(address, 14000), 30)
        wait_for("pebble's management listening", lambda: port_open(address, 15000), 30)
        yield Pebble(
            directory_url=f"https://{address}:14000/dir",
            ca_file=ca_cert,
            management_url=f"https://{address}:15000",
        )
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
