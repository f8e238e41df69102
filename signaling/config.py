"""Settings from `VISAVIS_*` environment variables, read once at start-up."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

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
    # Signs resume tokens so a restarted process can give seats back; random when unset.
    resume_secret: str = field(default="", repr=False)
    # Abuse limits (docs/operating.md lists them): per client address, then per socket.
    public_url: str = ""  # when set, browsers must come from this origin
    trusted_proxies: tuple[str, ...] = ()  # X-Forwarded-For is believed only from these
    connections_per_ip: int = 32
    rooms_per_minute: int = 20  # room creations per address
    failed_joins_per_minute: int = 20  # unknown or full rooms per address
    message_rate: float = 50.0  # frames per second per socket, sustained
    message_burst: int = 200
    byte_rate: float = 128 * 1024  # bytes per second per socket, sustained
    byte_burst: int = 1024 * 1024
    outbox_bytes: int = 1024 * 1024  # queued for a slow reader before it is disconnected
    idle_timeout: float = 60.0  # a socket outside any room is closed after this
    ping_interval: float = 20.0  # WebSocket pings; a socket silent for two intervals is dead
    shutdown_timeout: float = 5.0
    metrics_token: str = field(default="", repr=False)  # /metrics answers only with it
    # redis://... : several instances share rooms through Redis; empty: one process holds all.
    broker_url: str = field(default="", repr=False)  # may hold a password
    log_level: str = "info"
    test_tamper_fingerprint: bool = False  # test-only: alter DTLS fingerprints in transit

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


def _flag(config: Config, name: str, default: bool) -> bool:
    raw = config(name, default=None)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{ENV_PREFIX}{name}: {raw!r} is not true or false")


def _networks(name: str, value: str) -> tuple[str, ...]:
    networks = tuple(part.strip() for part in value.split(",") if part.strip())
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            message = f"{ENV_PREFIX}{name}: {network!r} is not an address or network"
            raise ConfigError(message) from None
    return networks


def _origin(name: str, url: str) -> str:
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{ENV_PREFIX}{name}: {url!r} is not an http(s) URL")
    return f"{parts.scheme}://{parts.netloc}"


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
        turn_ttl=int(_number(config, "TURN_TTL", int, defaults.turn_ttl, 2)),
        resume_secret=config("RESUME_SECRET", default=""),
        public_url=_origin("PUBLIC_URL", config("PUBLIC_URL", default="")),
        trusted_proxies=_networks("TRUSTED_PROXIES", config("TRUSTED_PROXIES", default="")),
        **{
            name: kind(_number(config, name.upper(), kind, getattr(defaults, name), minimum))
            for name, kind, minimum in (
                ("connections_per_ip", int, 1),
                ("rooms_per_minute", int, 1),
                ("failed_joins_per_minute", int, 1),
                ("message_rate", float, 1),
                ("message_burst", int, 1),
                ("byte_rate", float, 1024),
                ("byte_burst", int, 64 * 1024),
                ("outbox_bytes", int, 64 * 1024),
                ("idle_timeout", float, 1),
                ("ping_interval", float, 1),
                ("shutdown_timeout", float, 0),
            )
        },
        metrics_token=config("METRICS_TOKEN", default=""),
        broker_url=_broker("BROKER_URL", config("BROKER_URL", default="")),
        log_level=_choice(config, "LOG_LEVEL", ("debug", "info", "warning", "error")),
        test_tamper_fingerprint=_flag(config, "TEST_TAMPER_FINGERPRINT", False),
    )


def _broker(name: str, url: str) -> str:
    if url and urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"{ENV_PREFIX}{name}: must be a redis://, rediss:// or unix:// URL")
    return url


def _choice(config: Config, name: str, choices: tuple[str, ...]) -> str:
    raw = config(name, default=choices[1]).lower()
    if raw not in choices:
        raise ConfigError(f"{ENV_PREFIX}{name}: {raw!r} is not one of {', '.join(choices)}")
    return raw
