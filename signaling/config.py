"""Settings from `VISAVIS_*` environment variables, read once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from starlette.config import Config

ENV_PREFIX = "VISAVIS_"
FRONTEND_DIR = Path(__file__).resolve().parent.parent / "frontend"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8443
    tls_cert: str = ""
    tls_key: str = ""
    frontend_dir: Path = FRONTEND_DIR
    max_frame_bytes: int = 64 * 1024
    seat_grace: float = 30.0
    empty_room_ttl: float = 600.0
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str = field(default="", repr=False)
    turn_ttl: int = 3600

    @property
    def transport_max_bytes(self) -> int:
        """Frames up to this size are read and answered with `too-large`; bigger ones close."""
        return self.max_frame_bytes * 16


def _urls(name: str, value: str, schemes: tuple[str, ...]) -> tuple[str, ...]:
    urls = tuple(part.strip() for part in value.split(",") if part.strip())
    for url in urls:
        if not url.startswith(schemes):
            raise ConfigError(
                f"{ENV_PREFIX}{name}: {url!r} must start with one of {', '.join(schemes)}"
            )
    return urls


def _number(config: Config, name: str, kind: type, default: float, minimum: float) -> float:
    raw = config(name, default=None)
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{ENV_PREFIX}{name}: {raw!r} is not a {kind.__name__}") from None
    if value < minimum:
        raise ConfigError(f"{ENV_PREFIX}{name}: {raw!r} must be at least {minimum}")
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment; a bad value raises ConfigError naming it."""
    config = Config(environ=dict(os.environ if environ is None else environ), env_prefix=ENV_PREFIX)
    defaults = Settings()
    tls_cert = config("TLS_CERT", default="")
    tls_key = config("TLS_KEY", default="")
    if bool(tls_cert) != bool(tls_key):
        raise ConfigError(f"{ENV_PREFIX}TLS_CERT and {ENV_PREFIX}TLS_KEY must be set together")
    for name, path in (("TLS_CERT", tls_cert), ("TLS_KEY", tls_key)):
        if path and not Path(path).is_file():
            raise ConfigError(f"{ENV_PREFIX}{name}: no file at {path!r}")
    frontend_dir = Path(config("FRONTEND_DIR", default=str(defaults.frontend_dir)))
    if not (frontend_dir / "index.html").is_file():
        raise ConfigError(f"{ENV_PREFIX}FRONTEND_DIR: no index.html in {str(frontend_dir)!r}")
    turn_urls = _urls("TURN_URLS", config("TURN_URLS", default=""), ("turn:", "turns:"))
    turn_secret = config("TURN_SECRET", default="")
    if turn_urls and not turn_secret:
        raise ConfigError(f"{ENV_PREFIX}TURN_SECRET must be set when {ENV_PREFIX}TURN_URLS is")
    return Settings(
        host=config("HOST", default=defaults.host),
        port=int(_number(config, "PORT", int, defaults.port, 1)),
        tls_cert=tls_cert,
        tls_key=tls_key,
        frontend_dir=frontend_dir,
        max_frame_bytes=int(
            _number(config, "MAX_FRAME_BYTES", int, defaults.max_frame_bytes, 1024)
        ),
        seat_grace=_number(config, "SEAT_GRACE", float, defaults.seat_grace, 0),
        empty_room_ttl=_number(config, "EMPTY_ROOM_TTL", float, defaults.empty_room_ttl, 0),
        stun_urls=_urls("STUN_URLS", config("STUN_URLS", default=""), ("stun:", "stuns:")),
        turn_urls=turn_urls,
        turn_secret=turn_secret,
        turn_ttl=int(_number(config, "TURN_TTL", int, defaults.turn_ttl, 60)),
    )
