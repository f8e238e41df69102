"""compose's certbot service without Docker: compose/certbot.sh with Debian's certbot against
a local pebble, answering the HTTP-01 challenge through the rendered nginx site's webroot,
all in one closed namespace; the certificate lands in the `tls` volume for nginx and coturn.
The image runs certbot 3 on the same command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import replace

import pytest

from tests.certs import self_signed

from .conftest import DOMAIN, REPO, in_namespace, load_compose, stop, wait_for_listener
from .test_rendered import nginx_wrapper
from .test_scripts import owner_and_mode

# The first test to use them builds the wheelhouse, the virtualenv and the rendering.
pytestmark = pytest.mark.timeout(600)

ADDRESS = "198.51.100.20"  # the namespace's address (conftest.namespace)


def pebble_config(workdir) -> dict:
    ca, ca_key = self_signed(workdir, "compose test ACME", files=("ca.pem", "ca-key.pem"))
    cert, key = self_signed(workdir, ADDRESS, [f"IP:{ADDRESS}"], issuer=(ca, ca_key))
    return {
        "pebble": {
            "listenAddress": f"{ADDRESS}:14000",
            "managementListenAddress": f"{ADDRESS}:15000",
            "certificate": str(cert),
            "privateKey": str(key),
            "httpPort": 80,
            "tlsPort": 443,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }
    }


def test_certbot_service_gets_a_certificate_through_nginx_into_the_tls_volume(
    site, tmp_path, namespace, sockets
):
    certbot_service = load_compose()["services"]["certbot"]
    assert certbot_service["entrypoint"] == ["/bin/sh", "/compose/certbot.sh"]
    tls = tmp_path / "tls"  # a fresh volume with init's self-signed certificate in it
    subprocess.run(
        ["sh", str(REPO / "compose/init.sh")],
        env={**os.environ, "DOMAIN": DOMAIN, "TLS_DIR": str(tls), "GIVEN_DIR": str(tmp_path)},
        check=True,
        capture_output=True,
    )
    self_signed = (tls / "cert.pem").read_bytes()
    wrapper = nginx_wrapper(replace(site, volumes={**site.volumes, "tls": tls}), tmp_path, sockets)
    config = tmp_path / "pebble.json"
    config.write_text(json.dumps(pebble_config(tmp_path)))
    letsencrypt = tmp_path / "letsencrypt"
    (tmp_path / "xdg/letsencrypt").mkdir(parents=True)
    (tmp_path / "xdg/letsencrypt/cli.ini").write_text(
        f"config-dir = {letsencrypt}\nwork-dir = {tmp_path}/certbot-work\n"
        f"logs-dir = {tmp_path}/certbot-logs\n"
    )  # the container's /etc/letsencrypt volume, here a temporary folder
    quiet = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True}
    processes = [
        subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                namespace,
                "pebble-challtestsrv",
                "-defaultIPv4",
                ADDRESS,
                "-defaultIPv6",
                "",
                "-dns01",
                f"{ADDRESS}:8053",
                "-http01",
                "",
                "-https01",
                "",
                "-tlsalpn01",
                "",
                "-management",
                f"{ADDRESS}:8055",
            ],
            **quiet,
        ),
        subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                namespace,
                "pebble",
                "-config",
                str(config),
                "-dnsserver",
                f"{ADDRESS}:8053",
            ],
            env={**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"},
            **quiet,
        ),
        subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                namespace,
                "nginx",
                "-p",
                str(tmp_path),
                "-c",
                str(wrapper),
                "-g",
                "daemon off;",
            ],
            **quiet,
        ),
    ]
    certbot = None
    try:
        for port, process in ((14000, processes[1]), (80, processes[2])):
            assert wait_for_listener(namespace, port, process), stop(process)
        environment = {
            **os.environ,
            "DOMAIN": DOMAIN,
            "LETSENCRYPT_EMAIL": "operator@example.org",
            "ACME_SERVER": f"https://{ADDRESS}:14000/dir",
            "REQUESTS_CA_BUNDLE": str(tmp_path / "ca.pem"),  # trust pebble's endpoint
            "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
            "LETSENCRYPT_DIR": str(letsencrypt),
            "TLS_DIR": str(tls),
            "WEBROOT": str(site.volumes["acme"]),
        }
        certbot = subprocess.Popen(
            ["ip", "netns", "exec", namespace, "sh", str(REPO / "compose/certbot.sh")],
            env=environment,
            start_new_session=True,
            **quiet,
        )
        deadline = time.monotonic() + 180
        while (tls / "cert.pem").read_bytes() == self_signed and certbot.poll() is None:
            assert time.monotonic() < deadline, "no certificate within 3 minutes"
            time.sleep(0.5)
        assert certbot.poll() is None, certbot.communicate()[0][-3000:]  # now in its loop
        issued = subprocess.run(
            [
                "openssl",
                "x509",
                "-in",
                str(tls / "cert.pem"),
                "-noout",
                "-issuer",
                "-ext",
                "subjectAltName",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "Pebble" in issued and f"DNS:{DOMAIN}" in issued
        assert owner_and_mode(tls / "key.pem") == (0, 65534, 0o640)
        live = letsencrypt / "live" / DOMAIN
        assert (tls / "key.pem").read_bytes() == (live / "privkey.pem").read_bytes()
        served = in_namespace(
            namespace, "nginx", "-t", "-p", str(tmp_path), "-c", str(wrapper), timeout=30
        )
        assert served.returncode == 0, served.stderr  # nginx takes the new pair
    finally:
        if certbot is not None:
            os.killpg(certbot.pid, signal.SIGTERM)
            certbot.wait(10)
        for process in reversed(processes):
            stop(process)
