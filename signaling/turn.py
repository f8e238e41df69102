"""Short-lived TURN credentials (the TURN REST scheme coturn checks with `use-auth-secret`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from .config import Settings


def turn_credentials(secret: str, expiry: int, user_id: str) -> tuple[str, str]:
    """Return (username, password): `expiry:user_id` and base64(HMAC-SHA1(secret, username))."""
    username = f"{expiry}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(settings: Settings, now: float) -> list[dict[str, object]]:
    """The RTCIceServer list for one member: only what the operator configured."""
    servers: list[dict[str, object]] = []
    if settings.stun_urls:
        servers.append({"urls": list(settings.stun_urls)})
    if settings.turn_urls:
        # A fresh random id per member, so credentials cannot be linked across calls.
        username, credential = turn_credentials(
            settings.turn_secret, int(now) + settings.turn_ttl, secrets.token_urlsafe(8)
        )
        servers.append(
            {"urls": list(settings.turn_urls), "username": username, "credential": credential}
        )
    return servers
