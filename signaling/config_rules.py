"""The rules a setting's value must follow beyond its type and bounds (config.py names them
on its fields with `Check`): files that exist, origins, networks, broker URLs."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Check:
    """A rule a setting's value must follow beyond its type and `Meta` bounds.

    `rule` takes the converted value (or the default) and returns it, possibly normalised;
    it raises ValueError with a phrase that follows "VISAVIS_NAME: " in the error.
    """

    rule: Callable[[Any], Any]


def existing_file(path: str) -> str:
    if path and not Path(path).is_file():
        raise ValueError(f"no file at {path!r}")
    return path


def client_files(directory: Path) -> Path:
    if not (directory / "index.html").is_file():
        raise ValueError(f"no index.html in {str(directory)!r}")
    return directory


_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_origin(url: str) -> str:
    """The origin of an http(s) URL as browsers send it in `Origin`: `scheme://host[:port]`,
    scheme and host in lower case, the scheme's default port dropped; any path is ignored.
    Raises ValueError with a phrase for anything else (no host, a user name, a bad port)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL")
    if parts.username is not None:
        # Never repeated: it may hold a password too.
        raise ValueError("holds a user name; give only scheme, host and port")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{url!r} has a port that is not a number from 0 to 65535") from None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return (
        f"{scheme}://{host}"
        if port in (None, _DEFAULT_PORTS[scheme])
        else (f"{scheme}://{host}:{port}")
    )


def origin(url: str) -> str:
    return normalize_origin(url) if url else ""


def networks(networks: tuple[str, ...]) -> tuple[str, ...]:
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ValueError(f"{network!r} is not an address or network") from None
    return networks


def broker(url: str) -> str:
    # The URL may hold a password: the phrase never repeats it.
    if url and urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise ValueError("must be a redis://, rediss:// or unix:// URL")
    return url


def split_endpoint(endpoint: str) -> tuple[str, int]:
    """("host", port) of "host:port" or "[v6 address]:port"; ValueError if it is neither."""
    try:
        parts = urlsplit(f"//{endpoint}")
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None:
        raise ValueError(f"{endpoint!r} is not host:port ([v6 address]:port for IPv6)")
    return parts.hostname, port


def endpoints(endpoints: tuple[str, ...]) -> tuple[str, ...]:
    for endpoint in endpoints:
        split_endpoint(endpoint)
    return endpoints
