"""The server side of the lab: coturn on the deploy's own template, and `python -m signaling`,
both inside a lab namespace on the lab's public address."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.certs import self_signed
from tests.loopback import REPO_ROOT, stop_process
from tests.network.lab import SERVER, inside
from tests.templates import render_templates

DOMAIN = "visavis.test"
TURN_NAME = f"turn.{DOMAIN}"  # the name nginx routes to coturn on 443 (nginx_turns_name)
SIGNALING_PORT = 8443
BEHIND_NGINX_PORT = 8000  # signaling's port behind nginx, as deployed
TURN_PORT = 3478
TURNS_PORT = 5349
START_TIMEOUT = 20.0
# The lab's own Ansible variables: the deploy's role defaults, plus what a lab needs.
LAB_COTURN_VARIABLES = {
    "coturn_listening_ips": [SERVER],
    "coturn_relay_ips": [SERVER],
    "coturn_min_port": 50000,
    "coturn_max_port": 50999,
    # The lab's internet is TEST-NET-3, which the default deny list refuses; only the lab
    # makes this exception, with the knob an operator uses for a TURN server behind NAT.
    "coturn_allowed_peer_ips": ["203.0.113.0-203.0.113.255"],
}


@dataclass(frozen=True)
class ServerFiles:
    certificate: Path
    private_key: Path
    turn_secret: str
    coturn_config: Path

    def trusted_by_chromium(self) -> str:
        """The Chromium flag that trusts this certificate's key, and no other, for TURNS:
        unlike the pages, Chromium's TURN-over-TLS client ignores ignore_https_errors."""
        public_key = subprocess.run(
            ["openssl", "x509", "-in", str(self.certificate), "-pubkey", "-noout"],
            check=True,
            capture_output=True,
        ).stdout
        der = subprocess.run(
            ["openssl", "pkey", "-pubin", "-outform", "der"],
            input=public_key,
            check=True,
            capture_output=True,
        ).stdout
        digest = base64.b64encode(hashlib.sha256(der).digest()).decode()
        return f"--ignore-certificate-errors-spki-list={digest}"


def make_server_files(folder: Path, **overrides: Any) -> ServerFiles:
    """A certificate for the server's address and coturn's configuration rendered from
    infra/coturn/turnserver.conf.j2 exactly as the Ansible role renders it, with the lab's
    variables (and `overrides` of them)."""
    certificate, private_key = self_signed(
        folder, SERVER, [f"IP:{SERVER}", f"DNS:{DOMAIN}", f"DNS:{TURN_NAME}"]
    )
    # nginx's template is rendered alongside; the lab serves the client from signaling.
    dhparam = folder / "dhparam.pem"
    dhparam.write_text("")
    turn_secret = secrets.token_hex(32)
    render_templates(
        folder,
        visavis_domain=DOMAIN,
        coturn_static_auth_secret=turn_secret,
        certs_certificate_path=str(certificate),
        certs_private_key_path=str(private_key),
        coturn_tls_certificate=str(certificate),
        coturn_tls_private_key=str(private_key),
        nginx_dhparam_file=str(dhparam),
        certs_acme_webroot=str(folder / "acme"),
        signaling_frontend_dir=str(REPO_ROOT / "frontend"),
        **{**LAB_COTURN_VARIABLES, **overrides},
    )
    return ServerFiles(certificate, private_key, turn_secret, folder / "turnserver.conf")


@contextmanager
def coturn(namespace: str, files: ServerFiles, workdir: Path) -> Iterator[Path]:
    """coturn on the rendered file inside namespace; yields the path of its log."""
    log = workdir / f"coturn-{namespace}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                namespace,
                "turnserver",
                "-c",
                str(files.coturn_config),
                # Only where the files go differ from the deploy: the log, pid file and database.
                "--log-file=stdout",
                "--pidfile",
                str(workdir / f"turn-{namespace}.pid"),
                "--userdb",
                str(workdir / f"turndb-{namespace}"),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_listeners(namespace, process, log, [("-Hlun", TURN_PORT), ("-Hltn", TURNS_PORT)])
        yield log
    finally:
        stop_process(process, timeout=5)


@contextmanager
def signaling(
    namespace: str,
    files: ServerFiles,
    workdir: Path,
    ice: Mapping[str, str],
    address: str = SERVER,
    *,
    behind_nginx: bool = False,
) -> Iterator[str]:
    """`python -m signaling` inside namespace; yields its URL. With TLS on `address` (the
    server's public one, unless a NAT maps that to this one), the URL on the public address;
    or with `behind_nginx` as deployed: plain HTTP on 127.0.0.1:8000, believing the
    X-Forwarded-For of nginx on loopback."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VISAVIS_")}
    if behind_nginx:
        listen = {"VISAVIS_HOST": "127.0.0.1", "VISAVIS_PORT": str(BEHIND_NGINX_PORT)}
        listen["VISAVIS_TRUSTED_PROXIES"] = "127.0.0.1"
        url = f"http://127.0.0.1:{BEHIND_NGINX_PORT}"
        health = url
    else:
        listen = {"VISAVIS_HOST": address, "VISAVIS_PORT": str(SIGNALING_PORT)}
        listen["VISAVIS_TLS_CERT"] = str(files.certificate)
        listen["VISAVIS_TLS_KEY"] = str(files.private_key)
        url = f"https://{SERVER}:{SIGNALING_PORT}"
        health = f"https://{address}:{SIGNALING_PORT}"
    environment.update({**listen, **ice})
    log = workdir / f"signaling-{namespace}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["ip", "netns", "exec", namespace, sys.executable, "-m", "signaling"],
            cwd=REPO_ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_listeners(namespace, process, log, [("-Hltn", int(listen["VISAVIS_PORT"]))])
        status = inside(namespace, _health, health)
        assert status == 200, f"/healthz answered {status}"
        yield url
    finally:
        stop_process(process, timeout=5)


def ice_settings(files: ServerFiles, stun: bool = True, turn: tuple[str, ...] = ()) -> dict:
    """VISAVIS_* settings pointing browsers at the lab's coturn: STUN, and the TURN URLs
    given (any of "udp", "tcp", "tls")."""
    urls = {
        "udp": f"turn:{SERVER}:{TURN_PORT}?transport=udp",
        "tcp": f"turn:{SERVER}:{TURN_PORT}?transport=tcp",
        "tls": f"turns:{SERVER}:{TURNS_PORT}?transport=tcp",
    }
    settings = {"VISAVIS_STUN_URLS": f"stun:{SERVER}:{TURN_PORT}"} if stun else {}
    if turn:
        settings["VISAVIS_TURN_URLS"] = ",".join(urls[kind] for kind in turn)
        settings["VISAVIS_TURN_SECRET"] = files.turn_secret
    return settings


def _health(url: str) -> int:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    tls = context if url.startswith("https:") else None
    with urllib.request.urlopen(f"{url}/healthz", timeout=5, context=tls) as reply:
        return reply.status


def wait_for_listeners(
    namespace: str, process: subprocess.Popen, log: Path, sockets: list[tuple[str, int]]
) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    waiting = list(sockets)
    while waiting:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"not listening on {waiting}:\n{log.read_text()[-3000:]}")
        flags, port = waiting[0]
        listing = subprocess.run(
            ["ip", "netns", "exec", namespace, "ss", flags, f"sport = :{port}"],
            capture_output=True,
            text=True,
        )
        if listing.stdout.strip():
            waiting.pop(0)
        else:
            time.sleep(0.05)
