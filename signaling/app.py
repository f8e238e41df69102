"""The application factory: routes for the client, the WebSocket and the health check; the
choice of hub by VISAVIS_BROKER_URL."""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette import status
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from . import certificates, turn_check
from .auth import auth_routes
from .config import ConfigError, Settings, load_settings
from .host_sessions import HostSessions
from .host_stores import host_store_for
from .hub import Hub
from .hub_memory import MemoryHub
from .ice_check import ice_check_route
from .limits import AddressLimits
from .metrics import CONTENT_TYPE, Metrics
from .rooms import parse_room_code
from .session import Service, serve_member
from .turn import ice_servers, turn_credentials


def hub_for(settings: Settings, metrics: Metrics) -> Hub:
    """The in-process hub, or the Redis hub when VISAVIS_BROKER_URL names a Redis server
    (ConfigError if the redis extra is not installed)."""

    def fresh_ice_servers() -> list[dict[str, object]]:
        return ice_servers(settings, time.time())

    grace, ttl, secret = settings.seat_grace, settings.empty_room_ttl, settings.resume_secret
    if not settings.broker_url:
        return MemoryHub(metrics, fresh_ice_servers, grace, ttl, secret)
    try:
        from .hub_redis import RedisHub
    except ImportError:
        raise ConfigError(
            "VISAVIS_BROKER_URL needs the redis extra: pip install 'visavis[redis]'"
        ) from None
    return RedisHub(settings.broker_url, metrics, fresh_ice_servers, grace, ttl, secret)


def create_app(settings: Settings | None = None) -> Starlette:
    """The whole service for `settings` (read from the environment when None)."""
    settings = settings or load_settings()
    metrics = Metrics()
    hub = hub_for(settings, metrics)
    limits = AddressLimits(settings)
    store = host_store_for(settings)
    sessions = HostSessions(settings, store)
    service = Service(hub, metrics, settings, limits, sessions)
    index = settings.frontend_dir / "index.html"
    not_found_page = settings.frontend_dir / "not-found.html"

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def home(request: Request) -> Response:
        return FileResponse(index)

    async def favicon(request: Request) -> Response:
        return FileResponse(settings.frontend_dir / "favicon.svg")

    def app_file(name: str, **options: object) -> Response:
        # A custom VISAVIS_FRONTEND_DIR may lack the installable app's files: 404, not 500.
        path = settings.frontend_dir / name
        if not path.is_file():
            raise HTTPException(404)
        return FileResponse(path, **options)  # type: ignore[arg-type]

    # The installable app (frontend/sw.js, docs/architecture.md). The worker is checked for
    # a new version at every visit: never from the HTTP cache.
    async def service_worker(request: Request) -> Response:
        no_cache = {"Cache-Control": "no-cache"}
        return app_file("sw.js", media_type="text/javascript", headers=no_cache)

    async def manifest(request: Request) -> Response:
        return app_file("manifest.webmanifest", media_type="application/manifest+json")

    async def offline_page(request: Request) -> Response:
        return app_file("offline.html")

    async def enrol_page(request: Request) -> Response:
        # `/enrol#<token>`: the token stays in the fragment, out of every server's logs.
        return FileResponse(index)

    async def deep_link(request: Request) -> Response:
        # `/<code>` opens the app on that meeting. Any other spelling the code parser accepts
        # (case, no dashes, a trailing `/` or `.`) is sent there, so every copy of a link
        # works and the address bar shows the canonical one; nginx sends these paths here.
        path = request.url.path
        code = parse_room_code(path)
        if code is None:
            raise HTTPException(404)
        if path != f"/{code}":
            query = f"?{request.url.query}" if request.url.query else ""
            return RedirectResponse(f"/{code}{query}", status.HTTP_301_MOVED_PERMANENTLY)
        return FileResponse(index)

    async def not_found(request: Request, exc: Exception) -> Response:
        # Every miss gets the app's own page with a way home (plain text if a custom
        # VISAVIS_FRONTEND_DIR has none).
        if not not_found_page.is_file():
            return PlainTextResponse("not found", status.HTTP_404_NOT_FOUND)
        return FileResponse(not_found_page, status.HTTP_404_NOT_FOUND)

    async def signaling_socket(websocket: WebSocket) -> None:
        await serve_member(websocket, service)

    async def metrics_page(request: Request) -> Response:
        # Off unless a token is configured; then only with `Authorization: Bearer <token>`.
        if not settings.metrics_token:
            raise HTTPException(404)
        given = request.headers.get("authorization", "").removeprefix("Bearer ").encode()
        if not hmac.compare_digest(given, settings.metrics_token.encode()):
            return PlainTextResponse("unauthorized", 401, {"WWW-Authenticate": "Bearer"})
        exposition = metrics.exposition(await hub.count_rooms(), hub.broker_up)
        return Response(exposition, media_type=CONTENT_TYPE)

    def check_credentials() -> tuple[str, str]:
        # As a browser's, with a recognisable id in coturn's log.
        expiry = int(time.time()) + settings.turn_ttl
        return turn_credentials(settings.turn_secret, expiry, "visavis-check")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The Redis hub connects first: an unreachable Redis stops the start with its sentence.
        await hub.start()
        if store is not None:
            await store.start()  # a folder it cannot write, or no Redis, stops the start
        refresher = None
        if settings.turn_urls:
            # Half the credentials' lifetime: nobody ever holds expired ones for long.
            interval = settings.turn_ttl / 2
            refresher = asyncio.create_task(hub.refresh_ice_servers(interval))
        watcher = None
        if settings.certificate_endpoints:
            watcher = asyncio.create_task(
                certificates.watch(settings.certificate_endpoints, metrics)
            )
        relay_check = None
        if settings.turn_check and settings.turn_urls:
            relay_check = asyncio.create_task(
                turn_check.watch(
                    settings.turn_urls, check_credentials, metrics, settings.turn_check_interval
                )
            )
        yield
        for task in (refresher, watcher, relay_check):
            if task is not None:
                task.cancel()
        await hub.close()
        if store is not None:
            await store.close()

    static = settings.frontend_dir
    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/metrics", metrics_page),
            WebSocketRoute("/ws", signaling_socket),
            *auth_routes(settings, store, sessions, limits),
            ice_check_route(settings, sessions, limits, hub),
            Route("/enrol", enrol_page),
            Route("/", home),
            Mount("/js", StaticFiles(directory=static / "js"), name="js"),
            Mount("/css", StaticFiles(directory=static / "css"), name="css"),
            Route("/favicon.svg", favicon),
            Route("/sw.js", service_worker),
            Route("/manifest.webmanifest", manifest),
            Route("/offline.html", offline_page),
            Mount("/icons", StaticFiles(directory=static / "icons", check_dir=False), name="icons"),
            Route("/{path:path}", deep_link),
        ],
        exception_handlers={status.HTTP_404_NOT_FOUND: not_found},
        lifespan=lifespan,
    )
