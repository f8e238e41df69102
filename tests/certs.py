"""Certificates for the tests, made by the real openssl: P-256 server certificates
(self-signed, or signed by a test CA) and the DH parameters nginx's site reads."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

# A fresh P-256 key, unencrypted: what every test certificate uses.
EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]


def self_signed(
    folder: Path,
    common_name: str,
    alt_names: Sequence[str] = (),
    *,
    files: tuple[str, str] = ("cert.pem", "key.pem"),
    days: int = 2,
    issuer: tuple[Path, Path] | None = None,
) -> tuple[Path, Path]:
    """Write a certificate and its key into `folder` (named `files`): valid for `days`, for
    `common_name`, with `alt_names` (e.g. "DNS:localhost", "IP:127.0.0.1") as its
    subjectAltName; self-signed, or signed by `issuer` (a CA's certificate and key).
    Returns (certificate, key); raises CalledProcessError if openssl fails."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / files[0], folder / files[1]
    san = ["-addext", "subjectAltName=" + ",".join(alt_names)] if alt_names else []
    # Signed by a CA, it is an end-entity certificate: not a CA itself.
    signer = (
        ["-CA", str(issuer[0]), "-CAkey", str(issuer[1])]
        + ["-addext", "basicConstraints=critical,CA:FALSE"]
        if issuer
        else []
    )
    subprocess.run(
        ["openssl", "req", "-x509", *EC_KEY, "-days", str(days), "-subj", f"/CN={common_name}"]
        + san
        + signer
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def dh_parameters(path: Path) -> Path:
    """Write RFC 7919's ffdhe2048 group to `path` (what the nginx role puts in dhparam.pem)."""
    subprocess.run(
        ["openssl", "genpkey", "-genparam", "-algorithm", "DH"]
        + ["-pkeyopt", "group:ffdhe2048", "-out", str(path)],
        check=True,
        capture_output=True,
    )
    return path
