"""Certificates for the tests, made by the real openssl: self-signed P-256 server
certificates and the DH parameters nginx's site reads."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

# A fresh P-256 key, unencrypted: what every test certificate uses.
EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]


def self_signed(
    folder: Path, common_name: str, alt_names: Sequence[str] = (), prefix: str = ""
) -> tuple[Path, Path]:
    """Write `<prefix>cert.pem` and `<prefix>key.pem` into `folder`: a certificate valid for
    two days, for `common_name`, with `alt_names` (e.g. "DNS:localhost", "IP:127.0.0.1") as
    its subjectAltName. Returns (certificate, key); raises CalledProcessError if openssl
    fails."""
    cert, key = folder / f"{prefix}cert.pem", folder / f"{prefix}key.pem"
    san = ["-addext", "subjectAltName=" + ",".join(alt_names)] if alt_names else []
    subprocess.run(
        ["openssl", "req", "-x509", *EC_KEY, "-days", "2", "-subj", f"/CN={common_name}"]
        + san
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
