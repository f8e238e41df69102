"""Refusals of the hosts' HTTP endpoints (`/auth/...`): a stable code, an HTTP status and a
sentence for the person. docs/protocol.md's "Hosts" section lists them; the client's
sentences for them are in frontend/js/strings.js (tests/shared/protocol-facts.json keeps the
two lists equal). A leaf: imports nothing from signaling."""

from __future__ import annotations

from starlette import status

# code: (HTTP status, sentence)
HOST_ERRORS: dict[str, tuple[int, str]] = {
    "bad-request": (
        status.HTTP_400_BAD_REQUEST,
        "The app sent a request this server does not understand.",
    ),
    "hosts-off": (
        status.HTTP_404_NOT_FOUND,
        "This server keeps no hosts: anyone may start a meeting here.",
    ),
    "enrolment-unknown": (
        status.HTTP_404_NOT_FOUND,
        "This enrolment link is not known here. Check that it was copied whole.",
    ),
    "enrolment-used": (
        status.HTTP_410_GONE,
        "This enrolment link was used already. Ask the operator for a new one.",
    ),
    "enrolment-expired": (
        status.HTTP_410_GONE,
        "This enrolment link has expired. Ask the operator for a new one.",
    ),
    "challenge-invalid": (
        status.HTTP_400_BAD_REQUEST,
        "This attempt expired or was already used. Try again.",
    ),
    "wrong-origin": (
        status.HTTP_400_BAD_REQUEST,
        "The passkey was used from another web address than this server's.",
    ),
    "wrong-rp-id": (
        status.HTTP_400_BAD_REQUEST,
        "The passkey belongs to another site than this server.",
    ),
    "bad-signature": (
        status.HTTP_400_BAD_REQUEST,
        "The passkey's signature does not check out.",
    ),
    "passkey-invalid": (
        status.HTTP_400_BAD_REQUEST,
        "The passkey's answer could not be checked.",
    ),
    "passkey-unknown": (
        status.HTTP_403_FORBIDDEN,
        "This passkey is not one of this server's hosts (it may have been removed).",
    ),
    "rate-limited": (
        status.HTTP_429_TOO_MANY_REQUESTS,
        "Too many attempts from your network. Try again in a little while.",
    ),
}


class HostRefused(Exception):
    """A `/auth/...` request refused with `code` (a key of HOST_ERRORS); nothing changed.
    `detail` goes to the log, never to the person; `retry_after` is seconds."""

    def __init__(self, code: str, detail: str = "", retry_after: float | None = None) -> None:
        assert code in HOST_ERRORS, code
        super().__init__(code)
        self.code = code
        self.detail = detail
        self.retry_after = retry_after

    @property
    def status(self) -> int:
        return HOST_ERRORS[self.code][0]

    @property
    def message(self) -> str:
        return HOST_ERRORS[self.code][1]
