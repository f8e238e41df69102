"""`python -m signaling`: serve the app with uvicorn using the VISAVIS_* settings."""

from __future__ import annotations

import logging.config
import re
import subprocess
import sys

import uvicorn

from . import admin
from .app import create_app
from .config import ConfigError, Settings, load_settings
from .logs import event
from .server import uvicorn_options


def lan_addresses() -> list[str]:
    """This host's global IPv4 addresses, read from its interfaces (no traffic is sent)."""
    try:
        listing = subprocess.run(
            ["ip", "-o", "-4", "addr", "show", "scope", "global"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return re.findall(r"\binet (\d+\.\d+\.\d+\.\d+)/", listing)


def where_to_open(settings: Settings) -> list[str]:
    scheme = "https" if settings.tls_cert else "http"
    hosts = ["localhost"]
    if settings.host in ("0.0.0.0", "::"):
        hosts += lan_addresses()
    elif settings.host not in ("127.0.0.1", "localhost"):
        hosts = [settings.host]
    return [f"{scheme}://{host}:{settings.port}/" for host in hosts]


def main() -> None:
    try:
        settings = load_settings()
        if sys.argv[1:2] and sys.argv[1] in (*admin.COMMANDS, "-h", "--help"):
            sys.exit(admin.run(sys.argv[1:], settings))
    except ConfigError as error:
        sys.exit(f"visavis: configuration error: {error}")
    print("visavis is running. Open:", *where_to_open(settings), sep="\n  ", flush=True)
    options = uvicorn_options(settings)
    logging.config.dictConfig(options["log_config"])
    if not settings.resume_secret and not settings.broker_url:  # Redis keeps seats itself
        event("resume-secret-missing", logging.WARNING, effect="seats are lost on restart")
    if settings.access == "hosts" and not settings.session_secret:
        event("session-secret-missing", logging.WARNING, effect="hosts are signed out on restart")
    if settings.test_tamper_fingerprint:
        event("test-only-fingerprint-tampering-on", logging.WARNING)
    uvicorn.run(create_app(settings), **options)


if __name__ == "__main__":
    main()
