"""The application factory: routes for the client, the WebSocket and the health check."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from .config import Settings, load_settings
from .hubs import make_hub
from .limits import AddressLimits
from .metrics import CONTENT_TYPE
from .rooms import parse_room_code
from .session import serve_member


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or load_settings()
    hub = make_hub(settings)  # in-process, or Redis with VISAVIS_BROKER_URL
    limits = AddressLimits(settings)
    index = settings.frontend_dir / "index.html"

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def home(request: Request) -> Response:
        return FileResponse(index)

    async def favicon(request: Request) -> Response:
        return FileResponse(settings.frontend_dir / "favicon.svg")

    async def deep_link(request: Request) -> Response:
        # `/<code>` opens the app on that meeting; anything else under `/` is not ours.
        if parse_room_code(request.path_params["code"]) is None:
            raise HTTPException(404)
        return FileResponse(index)

    async def signaling_socket(websocket: WebSocket) -> None:
        await serve_member(websocket, hub, settings, limits)

    async def metrics(request: Request) -> Response:
        # Off unless a token is configured; then only with `Authorization: Bearer <token>`.
        if not settings.metrics_token:
            raise HTTPException(404)
        given = request.headers.get("authorization", "").removeprefix("Bearer ").encode()
        if not hmac.compare_digest(given, settings.metrics_token.encode()):
            return PlainTextResponse("unauthorized", 401, {"WWW-Authenticate": "Bearer"})
        await hub.refresh_metrics()
        return Response(hub.metrics.exposition(), media_type=CONTENT_TYPE)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await hub.start()  # the Redis hub connects here; unreachable Redis stops the start
        refresher = None
        if settings.turn_urls:
            # Half the credentials' lifetime: nobody ever holds expired ones for long.
            interval = settings.turn_ttl / 2
            refresher = asyncio.create_task(hub.refresh_ice_servers(interval))
        yield
        if refresher is not None:
            refresher.cancel()
        await hub.close()

    static = settings.frontend_dir
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/metrics", metrics),
            WebSocketRoute("/ws", signaling_socket),
            Route("/", home),
            Mount("/js", StaticFiles(directory=static / "js"), name="js"),
            Mount("/css", StaticFiles(directory=static / "css"), name="css"),
            Route("/favicon.svg", favicon),
            Route("/{code}", deep_link),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.hub = hub
    return app
