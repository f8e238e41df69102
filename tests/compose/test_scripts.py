"""The scripts compose runs in its one-shot, certbot and coturn containers, run here with the
same tools (sh, openssl, cp/chown, turnserver), on folders standing for the volumes; and the
make target."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from signaling.turn import turn_credentials
from tests.certs import self_signed
from tests.network import turns_client
from tests.network.lab import inside
from tests.network.turns_client import stun

from .conftest import DOCKERFILE, DOMAIN, REPO, Site, load_compose, wait_for_listener

COTURN_GID = 65534  # nogroup in the coturn image
NAMESPACE_ADDRESS = "198.51.100.20"  # the `namespace` fixture's


def run_script(name: str, *arguments: str, **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sh", str(REPO / "compose" / name), *arguments],
        env={**os.environ, "DOMAIN": DOMAIN, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def certificate(folder: Path, name: str) -> tuple[Path, Path]:
    """A certificate for `name` where certbot would leave it (fullchain.pem, privkey.pem)."""
    return self_signed(folder, name, files=("fullchain.pem", "privkey.pem"))


def owner_and_mode(path: Path) -> tuple[int, int, int]:
    status = path.stat()
    return status.st_uid, status.st_gid, status.st_mode & 0o777


def test_init_keeps_the_certificate_it_finds_and_installs_a_given_one(tmp_path):
    tls, given = tmp_path / "tls", tmp_path / "given"
    given.mkdir()
    first = run_script("init.sh", TLS_DIR=str(tls), GIVEN_DIR=str(given))
    assert first.returncode == 0, first.stderr
    made = (tls / "cert.pem").read_bytes()
    dhparam = (tls / "dhparam.pem").read_bytes()
    again = run_script("init.sh", TLS_DIR=str(tls), GIVEN_DIR=str(given))
    assert again.returncode == 0 and "keeping" in again.stdout
    assert (tls / "cert.pem").read_bytes() == made
    assert (tls / "dhparam.pem").read_bytes() == dhparam
    cert, key = certificate(tmp_path / "operator", "operator.test")
    (given / "cert.pem").write_bytes(cert.read_bytes())
    (given / "key.pem").write_bytes(key.read_bytes())
    installed = run_script("init.sh", TLS_DIR=str(tls), GIVEN_DIR=str(given))
    assert installed.returncode == 0, installed.stderr
    assert (tls / "cert.pem").read_bytes() == cert.read_bytes()
    assert owner_and_mode(tls / "key.pem") == (0, COTURN_GID, 0o640)
    assert owner_and_mode(tls / "cert.pem") == (0, 0, 0o644)
    assert not list(tls.glob("*.new"))


def test_init_makes_a_new_certificate_when_the_domain_changed(tmp_path):
    tls, given = tmp_path / "tls", tmp_path / "given"
    assert run_script("init.sh", TLS_DIR=str(tls), GIVEN_DIR=str(given)).returncode == 0
    moved = run_script("init.sh", TLS_DIR=str(tls), GIVEN_DIR=str(given), DOMAIN="moved.test")
    assert moved.returncode == 0, moved.stderr
    names = subprocess.run(
        ["openssl", "x509", "-in", str(tls / "cert.pem"), "-noout", "-ext", "subjectAltName"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "DNS:moved.test" in names


def test_init_refuses_to_run_without_a_domain(tmp_path):
    done = run_script("init.sh", TLS_DIR=str(tmp_path / "tls"), DOMAIN="")
    assert done.returncode != 0 and "DOMAIN" in done.stderr


def test_certbot_deploy_hook_installs_the_certificate_for_nginx_and_coturn(tmp_path):
    tls = tmp_path / "tls"
    tls.mkdir()
    cert, key = certificate(tmp_path / "live" / DOMAIN, DOMAIN)
    done = run_script("certbot.sh", "install", TLS_DIR=str(tls), RENEWED_LINEAGE=str(cert.parent))
    assert done.returncode == 0, done.stderr
    assert (tls / "cert.pem").read_bytes() == cert.read_bytes()
    assert (tls / "key.pem").read_bytes() == key.read_bytes()
    assert owner_and_mode(tls / "key.pem") == (0, COTURN_GID, 0o640)
    assert owner_and_mode(tls / "cert.pem")[2] == 0o644


def coturn_command(site: Site, tls: Path, workdir: Path) -> list[str]:
    """The compose coturn service's entrypoint and command with its files on this machine:
    the site's rendered configuration reading `tls`, with the one peer exception the test
    relays to (the namespace's own address, special-purpose like every test address)."""
    service = load_compose()["services"]["coturn"]
    config = site.mapped("coturn", "turnserver.conf", workdir / "turnserver.conf")
    text = config.read_text().replace(str(site.volumes["tls"]), str(tls))
    config.write_text(text + f"allowed-peer-ip={NAMESPACE_ADDRESS}\n")
    entrypoint = [
        str(REPO / "compose/coturn.sh") if part == "/compose/coturn.sh" else part
        for part in service["entrypoint"]
    ]
    assert service["command"][:2] == ["-c", "/etc/coturn/turnserver.conf"]
    arguments = [
        f"--pidfile={workdir}/turnserver.pid" if argument.startswith("--pidfile=") else argument
        for argument in service["command"][2:]
    ]
    return [*entrypoint, "-c", str(config), *arguments]


def relay_across_a_renewal(secret: str, renew) -> dict:
    """Inside the namespace: relay datagrams to a peer over a TURNS allocation, call renew(),
    wait until new TLS connections get another certificate, and relay again on the same
    allocation. Returns what was seen."""
    seen: dict = {"before": turns_client.served_certificate_sha256(NAMESPACE_ADDRESS, 5349)}
    username, password = turn_credentials(secret, int(time.time()) + 600, "compose-test")
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer,
        turns_client.turns_allocation(NAMESPACE_ADDRESS, 5349, username, password) as relay,
    ):
        assert relay.granted, relay.reply.error_code
        peer.bind((NAMESPACE_ADDRESS, 0))
        peer.settimeout(5)
        port = peer.getsockname()[1]
        assert relay.create_permission(NAMESPACE_ADDRESS).kind == stun.CREATE_PERMISSION_SUCCESS
        relay.send(NAMESPACE_ADDRESS, port, b"before the renewal")
        seen["relayed_before"] = peer.recv(2048)
        renew()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            seen["after"] = turns_client.served_certificate_sha256(NAMESPACE_ADDRESS, 5349)
            if seen["after"] != seen["before"]:
                break
            time.sleep(0.5)
        seen["reloaded_after"] = time.monotonic() - deadline + 30
        relay.send(NAMESPACE_ADDRESS, port, b"after the renewal")
        seen["relayed_after"] = peer.recv(2048)
        seen["refresh"] = turns_client.refresh(relay).kind
    return seen


def test_a_renewed_certificate_reaches_the_running_coturn_which_keeps_relaying(
    site, namespace, tmp_path
):
    tls = tmp_path / "tls"
    shutil.copytree(site.volumes["tls"], tls)
    secret = re.search(
        r"^static-auth-secret=(\S+)$", (site.rendered / "turnserver.conf").read_text(), re.M
    ).group(1)
    live = tmp_path / "live" / DOMAIN
    renewed, _ = certificate(live, DOMAIN)
    log = tmp_path / "coturn.log"
    with log.open("wb") as output:
        coturn = subprocess.Popen(
            ["ip", "netns", "exec", namespace, *coturn_command(site, tls, tmp_path)],
            env={
                **os.environ,
                "CERTIFICATE": str(tls / "cert.pem"),
                "CERTIFICATE_CHECK_SECONDS": "1",
            },
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # turnserver and the script's watch: one group to end
        )
    try:
        assert wait_for_listener(namespace, 5349, coturn), log.read_text()[-3000:]
        time.sleep(1.5)  # a first check with nothing changed
        install = ["sh", str(REPO / "compose/certbot.sh"), "install"]
        environment = {
            **os.environ,
            "DOMAIN": DOMAIN,
            "TLS_DIR": str(tls),
            "RENEWED_LINEAGE": str(live),
        }
        seen = inside(
            namespace,
            relay_across_a_renewal,
            secret,
            lambda: subprocess.run(install, env=environment, check=True, capture_output=True),
        )
        running = coturn.poll() is None
    finally:
        os.killpg(coturn.pid, signal.SIGTERM)
        coturn.wait(10)
    text = log.read_text()
    new = subprocess.run(
        ["openssl", "x509", "-in", str(renewed), "-outform", "der"], capture_output=True, check=True
    ).stdout
    assert seen["after"] == hashlib.sha256(new).hexdigest(), text[-3000:]
    assert seen["before"] != seen["after"]
    # The same turnserver process, and the allocation made before still relays.
    assert running
    # (turnserver's own log line is lost in its stdout buffer when SIGTERM ends it.)
    assert "coturn.sh: the certificate changed" in text
    assert seen["relayed_before"] == b"before the renewal"
    assert seen["relayed_after"] == b"after the renewal"
    assert seen["refresh"] == turns_client.REFRESH_SUCCESS


def test_certbot_service_needs_an_email(tmp_path):
    done = run_script("certbot.sh", LETSENCRYPT_EMAIL="", TLS_DIR=str(tmp_path))
    assert done.returncode != 0 and "LETSENCRYPT_EMAIL" in done.stderr


def test_make_compose_config_runs_the_renderer_with_the_projects_ansible():
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-n",
            "-C",
            str(REPO),
            "compose-config",
            "COMPOSE_ENV=/nonexistent/.env",
            "COMPOSE_RENDERED=/nonexistent/rendered",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    command = done.stdout.replace("\\\n", " ")
    assert re.search(
        r"compose/render\.py --env-file '/nonexistent/\.env' --output '/nonexistent/rendered'"
        r"\s+--ansible-playbook '\S*/\.venv/bin/ansible-playbook'",
        command,
    ), command


def test_image_builder_makes_the_wheelhouse_as_tests_compose_does():
    builder = DOCKERFILE.read_text().split("\nFROM ")[1].replace("\\\n", " ")
    run = re.search(r"build_wheelhouse\.py (.*?)> /build/wheels\.json", builder).group(1)
    assert "--project /src --cache /wheelhouse" in run
    assert '--machine "$(uname -m)"' in run and '--extras "$EXTRAS"' in run
    assert "sys.version_info[:2]" in run  # the image's own Python, as the deploy's host's
