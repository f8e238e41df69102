"""The production site (infra/nginx/visavis.conf.j2, rendered as the nginx role renders it)
run by the real nginx on loopback, in front of signaling servers the test started."""

from __future__ import annotations

import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.certs import dh_parameters
from tests.loopback import REPO_ROOT, free_port, stop_process
from tests.templates import render_templates


@contextmanager
def nginx_in_front(
    workdir: Path, upstream: list[str], tls: tuple[Path, Path], port: int
) -> Iterator[str]:
    """The production site (infra/nginx/visavis.conf.j2, rendered as the nginx role does)
    with `upstream` as its signaling servers, HTTPS on loopback `port`: its https:// URL."""
    site = workdir / "nginx"
    site.mkdir()
    dhparam = dh_parameters(site / "dhparam.pem")
    render_templates(
        site,
        "Debian-12",
        visavis_domain="localhost",
        coturn_static_auth_secret=secrets.token_hex(32),
        certs_certificate_path=str(tls[0]),
        certs_private_key_path=str(tls[1]),
        coturn_tls_certificate=str(tls[0]),
        coturn_tls_private_key=str(tls[1]),
        nginx_dhparam_file=str(dhparam),
        certs_acme_webroot=str(site / "acme"),
        signaling_frontend_dir=str(REPO_ROOT / "frontend"),
        nginx_listen_ipv6=False,
        nginx_signaling_servers=upstream,
        # The site alone on its port: these tests are about the site, not TURN on 443
        # (tests/network/front.py runs the router in front of it).
        nginx_turns_on_443=False,
    )
    conf = (site / "visavis.conf").read_text()
    assert all(server in conf for server in upstream), conf
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{free_port()};")
    conf = conf.replace("listen 443 ssl", f"listen 127.0.0.1:{port} ssl")
    (site / "visavis.conf").write_text(conf)
    (site / "nginx.conf").write_text(f"""daemon off;
pid {site}/nginx.pid;
error_log {site}/error.log;
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {site}/body;
    proxy_temp_path {site}/proxy;
    include {site}/visavis.conf;
}}
""")
    process = subprocess.Popen(
        ["nginx", "-p", str(site), "-c", str(site / "nginx.conf"), "-e", str(site / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert process.poll() is None, (site / "error.log").read_text()
            assert time.monotonic() < deadline, "nginx did not listen"
            time.sleep(0.05)
        yield f"https://127.0.0.1:{port}"
    finally:
        stop_process(process)
