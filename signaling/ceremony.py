"""The WebAuthn ceremonies, with the `webauthn` library doing every check.

Registration (W3C WebAuthn Level 3 §7.1) makes a discoverable credential (§5.4.6
`residentKey: required`) with user verification preferred (§5.4.6, §5.8.6) and no
attestation (§5.4.7: a host is trusted because the operator gave them the link, not by the
make of their authenticator). Authentication (§7.2) asks for any of this RP's discoverable
credentials (empty `allowCredentials`), so the host picks their passkey without typing a
name. Challenges are 32 random bytes (§13.4.3: at least 16); the caller stores them and
takes each back once, which is what makes a replayed answer fail.

Library refusals become `HostRefused` with a code that says which check failed: the
client data's origin (§7.1 step 9, §7.2 step 13), the RP ID hash (§7.1 step 13, §7.2
step 15), the signature (§7.2 step 21), anything else. No I/O here.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import parse_client_data_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .host_errors import HostRefused
from .hosts import Credential, b64url_bytes

RP_NAME = "visavis"
TIMEOUT_MS = 120_000  # how long the browser waits for the person, a hint (§5.4 `timeout`)
CHALLENGE_TTL = TIMEOUT_MS / 1000 + 60  # seconds a challenge stays usable


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys are for: the RP ID (§5.1.2: a registrable domain, never an IP
    address or a port) and the one origin answers must come from."""

    id: str
    origin: str


def new_challenge() -> bytes:
    return secrets.token_bytes(32)


def registration_options(
    rp: RelyingParty, host_id: str, name: str, challenge: bytes
) -> dict[str, Any]:
    """`PublicKeyCredentialCreationOptionsJSON` (§5.1.9) for a new host: `host_id` is the
    user handle (base64url), `name` what the authenticator shows."""
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=RP_NAME,
        user_id=b64url_bytes(host_id),
        user_name=name,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return json.loads(options_to_json(options))  # type: ignore[no-any-return]


def authentication_options(rp: RelyingParty, challenge: bytes) -> dict[str, Any]:
    """`PublicKeyCredentialRequestOptionsJSON` (§5.1.10) for any of this RP's passkeys."""
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return json.loads(options_to_json(options))  # type: ignore[no-any-return]


def answered_challenge(answer: dict[str, Any]) -> bytes:
    """The challenge a browser's answer (§5.1 `toJSON()` shape) signed, read from its
    clientDataJSON so the caller can take it from the store; the library checks it again.
    Raises HostRefused("passkey-invalid") for an answer without a readable one."""
    try:
        client_data = b64url_bytes(answer["response"]["clientDataJSON"])
        return parse_client_data_json(client_data).challenge
    except (KeyError, TypeError, ValueError, WebAuthnException) as error:
        raise HostRefused("passkey-invalid", f"clientDataJSON: {error}") from None


def answered_credential_id(answer: dict[str, Any]) -> bytes:
    """The credential id of a sign-in answer; HostRefused("passkey-invalid") if unreadable."""
    try:
        return b64url_bytes(answer["rawId"])
    except (KeyError, TypeError, ValueError) as error:
        raise HostRefused("passkey-invalid", f"rawId: {error}") from None


def answered_user_handle(answer: dict[str, Any]) -> str | None:
    """The user handle a discoverable credential returned (§7.2 step 6), or None."""
    handle = answer.get("response", {}).get("userHandle")
    return handle if isinstance(handle, str) and handle else None


def verify_registration(
    rp: RelyingParty, answer: dict[str, Any], challenge: bytes, host_id: str
) -> Credential:
    """Check a `navigator.credentials.create()` answer (§7.1); the new credential record.
    Raises HostRefused with the code of the check that failed."""
    try:
        verified = verify_registration_response(
            credential=answer,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except WebAuthnException as error:
        raise _refusal(error) from None
    except (KeyError, TypeError, ValueError) as error:
        raise HostRefused("passkey-invalid", str(error)) from None
    return Credential(
        verified.credential_id, host_id, verified.credential_public_key, verified.sign_count
    )


def verify_authentication(
    rp: RelyingParty, answer: dict[str, Any], challenge: bytes, credential: Credential
) -> int:
    """Check a `navigator.credentials.get()` answer (§7.2) against the stored `credential`;
    the new signature counter. Raises HostRefused with the code of the failed check."""
    try:
        verified = verify_authentication_response(
            credential=answer,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=credential.public_key,
            credential_current_sign_count=credential.sign_count,
        )
    except WebAuthnException as error:
        raise _refusal(error) from None
    except (KeyError, TypeError, ValueError) as error:
        raise HostRefused("passkey-invalid", str(error)) from None
    return verified.new_sign_count


def _refusal(error: WebAuthnException) -> HostRefused:
    # The library names the failed check only in its message (webauthn 3.0, pinned).
    text = str(error)
    if text.startswith("Unexpected client data origin"):
        return HostRefused("wrong-origin", text)
    if text.startswith("Unexpected RP ID hash"):
        return HostRefused("wrong-rp-id", text)
    if "signature" in text.lower():
        return HostRefused("bad-signature", text)
    return HostRefused("passkey-invalid", text)
