"""Who may start meetings: hosts, their passkeys, enrolment links and ceremony challenges,
behind one small store interface.

Two stores implement it, one module each, like the two hubs: `hosts_sqlite.SqliteHostStore`
(the default: one file under VISAVIS_STATE_DIR) and `hosts_redis.RedisHostStore` (several
instances share hosts through the Redis of VISAVIS_BROKER_URL). `host_stores.host_store_for`
picks one. Both pass the same tests (tests/service/test_host_store.py).

A leaf: this module imports nothing from signaling. Times are Unix seconds (float); ids
are text (base64url), credential ids and public keys bytes as the authenticator made them.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal, Protocol

# What `HostStore.enrol` found: only "ok" changed anything.
EnrolOutcome = Literal["ok", "unknown", "used", "expired"]
# An enrolment's record is kept this long after it expires or is used, so a late or second
# use of its link is told "expired" or "used" rather than "unknown".
ENROLMENT_MEMORY = 30 * 86400.0


@dataclass(frozen=True)
class Host:
    """A person who may start meetings. `id` is the WebAuthn user handle, base64url."""

    id: str
    name: str
    created: float


@dataclass(frozen=True)
class Credential:
    """One passkey of a host (WebAuthn Level 3 §4 "credential record"): its id and COSE
    public key as registered, and the signature counter last seen (§6.1.1)."""

    id: bytes
    host_id: str
    public_key: bytes
    sign_count: int


@dataclass(frozen=True)
class Enrolment:
    """A one-time enrolment link, known only by the SHA-256 of its token."""

    token_hash: str
    name: str
    expires: float
    used: bool


class HostStore(Protocol):
    """Hosts, their passkeys, enrolment links and outstanding challenges.

    Every method is atomic on its own; `enrol` and `take_challenge` are the ones where two
    racing callers must not both succeed, and they do not."""

    async def start(self) -> None:
        """Open the file or connection; raises OSError (or the client's error) if it cannot."""

    async def close(self) -> None: ...

    async def add_enrolment(self, token_hash: str, name: str, expires: float) -> None:
        """Remember a new enrolment link for the host-to-be `name`."""

    async def enrolment(self, token_hash: str) -> Enrolment | None:
        """The enrolment with this token hash, used or not, or None if unknown."""

    async def enrol(
        self, token_hash: str, now: float, host: Host, credential: Credential
    ) -> EnrolOutcome:
        """Use the enrolment link once: if it is known, unused and not expired at `now`, mark
        it used and add `host` with `credential`, all or nothing; else change nothing."""

    async def host(self, host_id: str) -> Host | None: ...

    async def hosts(self) -> list[Host]:
        """Every host, oldest first."""

    async def remove_host(self, host_id: str) -> bool:
        """Remove a host and all its passkeys; False if there was no such host."""

    async def credential(self, credential_id: bytes) -> Credential | None: ...

    async def credentials(self, host_id: str) -> list[Credential]: ...

    async def update_sign_count(self, credential_id: bytes, sign_count: int) -> None: ...

    async def put_challenge(
        self, challenge: bytes, purpose: str, expires: float, data: str
    ) -> None:
        """Remember a challenge handed out for `purpose` ("enrol", "sign-in") until `expires`."""

    async def take_challenge(self, challenge: bytes, purpose: str, now: float) -> str | None:
        """Forget the challenge and return its `data`, if it was handed out for `purpose` and
        has not expired by `now`; None if unknown, expired or already taken (a replay)."""


def new_token() -> str:
    """An enrolment token: 256 bits from `secrets`, URL-safe text."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the store keeps of a token: a stolen store file holds no working link."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_host_id() -> str:
    """A WebAuthn user handle (Level 3 §5.4.3: at most 64 random bytes, no personal data)."""
    return b64url(secrets.token_bytes(16))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_bytes(text: str) -> bytes:
    """The bytes of base64url `text` (padding optional); ValueError if it is not base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
