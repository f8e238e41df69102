"""Hosts' sign-ins: the session cookie, and whether a socket may start a meeting.

The cookie holds the host's id and the time it was issued, signed with
VISAVIS_SESSION_SECRET by itsdangerous (HMAC-SHA1 over a key derived with the salt; the
standard way Flask and Starlette sign sessions, kept by the Pallets team), and is refused
once older than VISAVIS_HOST_SESSION_TTL. It is `HttpOnly` (no script reads it), `Secure`,
`SameSite=Strict` (no other site's page sends it, WebSocket upgrades included) and named
`__Host-…` (the browser then insists on Secure, Path=/ and no Domain). Each `create`
looks the host up in the store, so removing a host ends every session they had.
"""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, TimestampSigner

from .config import Settings
from .hosts import HostStore

COOKIE = "__Host-visavis-host"
SALT = "visavis.host-session"


class HostSessions:
    """Signs and reads host cookies for `settings`; `store` is None when no hosts are kept
    (VISAVIS_ACCESS=open without a state folder or broker)."""

    def __init__(self, settings: Settings, store: HostStore | None) -> None:
        self.access = settings.access
        self.ttl = settings.host_session_ttl
        self.store = store
        secret = settings.session_secret or secrets.token_hex(32)
        self._signer = TimestampSigner(secret, salt=SALT)

    def cookie_value(self, host_id: str) -> str:
        return self._signer.sign(host_id).decode()

    def host_id(self, cookie: str | None) -> str | None:
        """The host id a cookie vouches for, or None: absent, tampered with or expired."""
        if not cookie:
            return None
        try:
            return self._signer.unsign(cookie, max_age=self.ttl).decode()
        except (BadSignature, UnicodeDecodeError):
            return None

    def set_cookie_header(self, host_id: str) -> str:
        return (
            f"{COOKIE}={self.cookie_value(host_id)}; Max-Age={self.ttl}; Path=/; Secure; "
            "HttpOnly; SameSite=Strict"
        )

    @staticmethod
    def clear_cookie_header() -> str:
        return f"{COOKIE}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Strict"

    async def signed_in(self, cookie: str | None) -> str | None:
        """The id of a host that exists now, from the cookie; None otherwise."""
        host_id = self.host_id(cookie)
        if host_id is None or self.store is None:
            return None
        return host_id if await self.store.host(host_id) is not None else None

    async def may_create(self, cookie: str | None) -> bool:
        """Whether a socket whose upgrade carried `cookie` may start a meeting now."""
        return self.access == "open" or await self.signed_in(cookie) is not None
