"""uvicorn options from the settings, shared by `python -m signaling` and the tests."""

from __future__ import annotations

from typing import Any

from .config import Settings
from .logs import log_config


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    return {
        "host": settings.host,
        "port": settings.port,
        "ssl_certfile": settings.tls_cert or None,
        "ssl_keyfile": settings.tls_key or None,
        "ws": "websockets-sansio",
        "ws_max_size": settings.transport_max_bytes,
        # Frames are small JSON: compression costs ~40 KB and CPU per socket
        # (docs/performance.md).
        "ws_per_message_deflate": False,
        # A socket that does not answer a ping within one more interval is dead.
        "ws_ping_interval": settings.ping_interval,
        "ws_ping_timeout": settings.ping_interval,
        # The client address comes from X-Forwarded-For only through a trusted proxy.
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies) or None,
        # SIGTERM: stop accepting, close sockets with 1012 (service restart; clients resume
        # elsewhere or on the next process), and give up on stragglers after this long.
        "timeout_graceful_shutdown": settings.shutdown_timeout,
        "loop": loop,
        "log_config": log_config(settings.log_level),
        "access_log": False,
        "lifespan": "on",
    }
