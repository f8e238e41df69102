"""The nginx and coturn templates rendered for every supported distribution, then checked
by the real programs: `nginx -t`, and coturn started on the file in a closed namespace."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.certs import dh_parameters, self_signed
from tests.templates import REPO, render_templates

DISTRIBUTIONS = ["Ubuntu-22", "Ubuntu-24", "Debian-12"]
DOMAIN = "visavis.test"


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> dict[str, str]:
    workdir = tmp_path_factory.mktemp("tls")
    cert, key = self_signed(workdir, DOMAIN)
    dhparam = dh_parameters(workdir / "dhparam.pem")
    return {"cert": str(cert), "key": str(key), "dhparam": str(dhparam), "dir": str(workdir)}


def render(distribution: str, output: Path, tls_files: dict[str, str]) -> None:
    render_templates(
        output,
        distribution,
        visavis_domain=DOMAIN,
        coturn_static_auth_secret=secrets.token_hex(32),
        certs_certificate_path=tls_files["cert"],
        certs_private_key_path=tls_files["key"],
        coturn_tls_certificate=tls_files["cert"],
        coturn_tls_private_key=tls_files["key"],
        nginx_dhparam_file=tls_files["dhparam"],
        certs_acme_webroot=str(output / "acme"),
        signaling_frontend_dir=str(REPO / "frontend"),
    )


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_rendered_nginx_site_passes_nginx_t(distribution, tmp_path, tls_files):
    render(distribution, tmp_path, tls_files)
    site = (tmp_path / "visavis.conf").read_text()
    # Behind the TLS router on 443; the nginx of every release rendered here predates
    # `http2 on;` (Debian 13's site is checked by its own nginx on its booted host).
    assert "listen unix:/run/nginx-visavis-site.sock ssl proxy_protocol http2;" in site
    assert "ssl_ecdh_curve X25519:prime256v1:secp384r1;" in site
    router = (tmp_path / "visavis-stream.conf").read_text()
    assert f"turn.{DOMAIN} unix:/run/nginx-visavis-turns.sock;" in router
    # coturn's TLS port (from the coturn role) on the address the person reached.
    assert "proxy_pass $visavis_turns_upstream;" in router
    assert "default $proxy_protocol_server_addr:5349;" in router
    wrapper = tmp_path / "nginx.conf"
    # As Debian's nginx.conf: modules-enabled/ (the stream module, then the router) at the top.
    wrapper.write_text(
        f"""pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
include {tmp_path}/visavis-stream.conf;
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    include {tmp_path}/visavis.conf;
}}
"""
    )
    done = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(wrapper)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_coturn_starts_on_the_rendered_configuration(distribution, tmp_path, tls_files):
    render(distribution, tmp_path, tls_files)
    config_file = tmp_path / "turnserver.conf"
    config = config_file.read_text()
    assert "denied-peer-ip=10.0.0.0-10.255.255.255" in config
    assert "allowed-peer-ip" not in config  # empty by default
    namespace = f"vvrender{os.getpid() % 100000}"
    subprocess.run(["ip", "netns", "add", namespace], check=True)
    try:
        # A closed namespace with one test address: coturn needs a non-loopback address.
        for command in (
            ["link", "set", "lo", "up"],
            ["link", "add", "vv0", "type", "veth", "peer", "name", "vv1"],
            ["addr", "add", "198.51.100.10/24", "dev", "vv0"],
            ["link", "set", "vv0", "up"],
            ["link", "set", "vv1", "up"],
        ):
            subprocess.run(["ip", "-n", namespace, *command], check=True)
        server = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                namespace,
                "turnserver",
                "-c",
                str(config_file),
                "--log-file=stdout",
                "--pidfile",
                str(tmp_path / "turn.pid"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        listening = False
        deadline = time.monotonic() + 30
        while not listening and server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
            listening = bool(
                subprocess.run(
                    ["ip", "netns", "exec", namespace, "ss", "-Hltn", "sport = :5349"],
                    capture_output=True,
                    text=True,
                ).stdout.strip()
            )
        server.send_signal(signal.SIGTERM)
        try:
            log, _ = server.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            log, _ = server.communicate()
    finally:
        subprocess.run(["ip", "netns", "delete", namespace], check=True)
    assert "Bad configuration format" not in log
    assert "CONFIG ERROR" not in log
    assert listening, "coturn did not open its TLS listener:\n" + log[-3000:]
