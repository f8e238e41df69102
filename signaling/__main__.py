"""`python -m signaling`: serve the app with uvicorn using the VISAVIS_* settings."""

from __future__ import annotations

import socket
import sys

import uvicorn

from .app import create_app
from .config import ConfigError, Settings, load_settings


def lan_addresses() -> list[str]:
    """This host's non-loopback IPv4 addresses, from its own name (no traffic is sent)."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    return sorted({info[4][0] for info in infos if not info[4][0].startswith("127.")})


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
        loop=loop,
        log_level="info",
    )


if __name__ == "__main__":
    main()
