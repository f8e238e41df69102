"""The scripts compose runs in its one-shot and certbot containers, run here with the same
tools (sh, openssl, cp/chown), on folders standing for the volumes; and the make target."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.certs import self_signed

from .conftest import DOCKERFILE, DOMAIN, REPO

COTURN_GID = 65534  # nogroup in the coturn image


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
