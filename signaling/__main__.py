"""`python -m signaling`: serve the app with uvicorn using the VISAVIS_* settings."""

from __future__ import annotations

import re
import subprocess
import sys

import uvicorn

from .app import create_app
from .config import ConfigError, Settings, load_settings


def lan_addresses() -> list[str]:
    """This host's global IPv4 addresses, read from its interfaces (no traffic is sent)."""
    try:
        listing = subprocess.run(
            ["ip", "-o", "-4", "addr", "show", "scope", "global"],
            capture_output=True, text=True, timeout=5,
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
    except ConfigError as error:
        sys.exit(f"visavis: configuration error: {error}")
    print("visavis is running. Open:", *where_to_open(settings), sep="\n  ", flush=True)
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        ssl_certfile=settings.tls_cert or None,
        ssl_keyfile=settings.tls_key or None,
        ws="websockets-sansio",
        ws_max_size=settings.transport_max_bytes,
        # Frames are small JSON: compression costs ~40 KB and CPU per socket (docs/performance.md).
        ws_per_message_deflate=False,
        loop=loop,
        log_level="info",
    )


if __name__ == "__main__":
    main()
