"""The hosts' HTTP endpoints: enrolment with a one-time link, sign-in with a passkey,
sign-out, and who is signed in. docs/protocol.md ("Hosts") describes them.

Every POST must come from our own origin (its Origin header, when the browser sends one)
and costs one of the address's VISAVIS_AUTH_ATTEMPTS_PER_MINUTE; a refusal is
`{"code", "message"}` with the status of host_errors.HOST_ERRORS and changes nothing stored
but the one-time challenge it answered. Bodies are JSON, at most MAX_BODY bytes.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import ceremony
from .ceremony import RelyingParty
from .config import Settings
from .host_errors import HostRefused
from .host_sessions import COOKIE, HostSessions
from .hosts import Enrolment, Host, HostStore, b64url, new_host_id, token_hash
from .limits import AddressLimits
from .logs import event

MAX_BODY = 64 * 1024  # a registration answer is about 1 KB; attestation certificates more
Handler = Callable[[Request], Awaitable[Response]]


def relying_party(settings: Settings, request: Request) -> RelyingParty:
    """VISAVIS_PUBLIC_URL's origin and host name, or else the request's own (`make run`:
    https://localhost:8443, RP ID `localhost`)."""
    origin = settings.public_url or f"{request.url.scheme}://{request.url.netloc}"
    return RelyingParty(id=urlsplit(origin).hostname or "", origin=origin)


def auth_routes(
    settings: Settings, store: HostStore | None, sessions: HostSessions, limits: AddressLimits
) -> list[Route]:
    """The `/auth/...` routes for one app."""

    def attempt(handler: Callable[[Request, HostStore, RelyingParty], Awaitable[Response]]):
        """Origin, rate limit, store present; refusals to their JSON shape."""

        async def endpoint(request: Request) -> Response:
            rp = relying_party(settings, request)
            try:
                origin = request.headers.get("origin")
                if origin is not None and origin != rp.origin:
                    raise HostRefused("wrong-origin", f"Origin {origin[:80]!r}")
                address = request.client.host if request.client else "unknown"
                wait = limits.auth_attempts.take(address)
                if wait:
                    raise HostRefused("rate-limited", retry_after=wait)
                if store is None:
                    raise HostRefused("hosts-off")
                return await handler(request, store, rp)
            except HostRefused as refused:
                return _refusal(refused, request.url.path)

        return endpoint

    async def enrol_options(request: Request, store: HostStore, rp: RelyingParty) -> Response:
        token = _text(await _body(request), "token")
        enrolment = await _usable_enrolment(store, token)
        host_id = new_host_id()
        challenge = ceremony.new_challenge()
        data = json.dumps({"token": token_hash(token), "host": host_id})
        await store.put_challenge(challenge, "enrol", time.time() + ceremony.CHALLENGE_TTL, data)
        options = ceremony.registration_options(rp, host_id, enrolment.name, challenge)
        return JSONResponse({"name": enrolment.name, "options": options})

    async def enrol(request: Request, store: HostStore, rp: RelyingParty) -> Response:
        body = await _body(request)
        token, answer = _text(body, "token"), _object(body, "credential")
        hashed = token_hash(token)
        enrolment = await _usable_enrolment(store, token)
        challenge = ceremony.answered_challenge(answer)
        data = await store.take_challenge(challenge, "enrol", time.time())
        if data is None or json.loads(data)["token"] != hashed:
            raise HostRefused("challenge-invalid")
        host_id = json.loads(data)["host"]
        credential = ceremony.verify_registration(rp, answer, challenge, host_id)
        host = Host(host_id, enrolment.name, time.time())
        outcome = await store.enrol(hashed, time.time(), host, credential)
        if outcome != "ok":  # used by a racing request, or expired meanwhile
            raise HostRefused(f"enrolment-{outcome}")
        event("host-enrolled", host=host_id)
        return _signed_in(host, sessions)

    async def sign_in_options(request: Request, store: HostStore, rp: RelyingParty) -> Response:
        await _body(request)
        challenge = ceremony.new_challenge()
        await store.put_challenge(challenge, "sign-in", time.time() + ceremony.CHALLENGE_TTL, "")
        return JSONResponse({"options": ceremony.authentication_options(rp, challenge)})

    async def sign_in(request: Request, store: HostStore, rp: RelyingParty) -> Response:
        answer = _object(await _body(request), "credential")
        challenge = ceremony.answered_challenge(answer)
        if await store.take_challenge(challenge, "sign-in", time.time()) is None:
            raise HostRefused("challenge-invalid")
        credential = await store.credential(ceremony.answered_credential_id(answer))
        host = None if credential is None else await store.host(credential.host_id)
        handle = ceremony.answered_user_handle(answer)
        # §7.2 step 6: the user handle, when given, must name the credential's owner.
        if credential is None or host is None or handle not in (None, host.id):
            raise HostRefused("passkey-unknown")
        count = ceremony.verify_authentication(rp, answer, challenge, credential)
        await store.update_sign_count(credential.id, count)
        event("host-signed-in", host=host.id, credential=b64url(credential.id)[:12])
        return _signed_in(host, sessions)

    async def sign_out(request: Request) -> Response:
        response = JSONResponse({"host": None})
        response.headers["set-cookie"] = sessions.clear_cookie_header()
        return response

    async def me(request: Request) -> Response:
        """Who this browser is: `{"access": "open"|"hosts", "host": {"name"}|null}`."""
        host_id = await sessions.signed_in(request.cookies.get(COOKIE))
        host = host_id and store and await store.host(host_id)
        return JSONResponse(
            {"access": settings.access, "host": {"name": host.name} if host else None},
            headers={"cache-control": "no-store"},
        )

    return [
        Route("/auth/me", me, methods=["GET"]),
        Route("/auth/enrol/options", attempt(enrol_options), methods=["POST"]),
        Route("/auth/enrol", attempt(enrol), methods=["POST"]),
        Route("/auth/sign-in/options", attempt(sign_in_options), methods=["POST"]),
        Route("/auth/sign-in", attempt(sign_in), methods=["POST"]),
        Route("/auth/sign-out", sign_out, methods=["POST"]),
    ]


async def _usable_enrolment(store: HostStore, token: str) -> Enrolment:
    """The unused, unexpired enrolment of `token`; HostRefused("enrolment-...") otherwise."""
    enrolment = await store.enrolment(token_hash(token))
    if enrolment is None:
        raise HostRefused("enrolment-unknown")
    if enrolment.used:
        raise HostRefused("enrolment-used")
    if enrolment.expires <= time.time():
        raise HostRefused("enrolment-expired")
    return enrolment


def _signed_in(host: Host, sessions: HostSessions) -> Response:
    response = JSONResponse({"host": {"name": host.name}})
    response.headers["set-cookie"] = sessions.set_cookie_header(host.id)
    return response


def _refusal(refused: HostRefused, path: str) -> Response:
    event("host-request-refused", path=path, code=refused.code, detail=refused.detail[:200])
    headers = {}
    if refused.retry_after is not None:
        headers["retry-after"] = str(math.ceil(refused.retry_after))
    return JSONResponse({"code": refused.code, "message": refused.message}, refused.status, headers)


async def _body(request: Request) -> dict[str, Any]:
    """The JSON object of the body; HostRefused("bad-request") beyond MAX_BODY or not one."""
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_BODY:
            raise HostRefused("bad-request", "body too large")
    try:
        body = json.loads(received or b"{}")
    except ValueError:
        raise HostRefused("bad-request", "not JSON") from None
    if not isinstance(body, dict):
        raise HostRefused("bad-request", "not an object")
    return body


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= 200:
        raise HostRefused("bad-request", f"{name} missing")
    return value


def _object(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if not isinstance(value, dict):
        raise HostRefused("bad-request", f"{name} missing")
    return value
