"""Settings from `VISAVIS_*` environment variables, read once at start-up.

Each setting is declared once, as a field of `Settings`: its name (the variable is
`VISAVIS_` + the name in capitals), its type, its default, its bounds (`msgspec.Meta`), a
one-line description, and any further `Check`. `load_settings` converts the environment
from those declarations with msgspec; fields with `repr=False` are secrets, never echoed.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from . import config_rules as rules
from .config_rules import Check

ENV_PREFIX = "VISAVIS_"
FRONTEND_DIR = Path(__file__).resolve().parent.parent / "frontend"
# Words accepted for on/off switches besides msgspec's own true/false/1/0.
_SWITCH_WORDS = {"yes": "true", "on": "true", "no": "false", "off": "false", "": "false"}


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


StunUrl = Annotated[str, Meta(pattern="^stuns?:")]
TurnUrl = Annotated[str, Meta(pattern="^turns?:")]


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment; one field per setting.

    Durations are seconds, sizes bytes, rates per second; tuples come from comma-separated
    values. Build it with `load_settings` (which checks every value) or directly in tests.
    """

    host: Annotated[str, Meta(description="address to listen on")] = "127.0.0.1"
    port: Annotated[int, Meta(ge=1, le=65535, description="port to listen on")] = 8443
    tls_cert: Annotated[
        str, Meta(description="PEM certificate file; empty: plain HTTP"), Check(rules.existing_file)
    ] = ""
    tls_key: Annotated[
        str, Meta(description="PEM key file of tls_cert"), Check(rules.existing_file)
    ] = ""
    frontend_dir: Annotated[
        Path, Meta(description="the web client's files"), Check(rules.client_files)
    ] = FRONTEND_DIR
    max_frame_bytes: Annotated[
        int, Meta(ge=1024, description="largest frame answered; 16 times this closes")
    ] = 64 * 1024
    seat_grace: Annotated[
        float, Meta(ge=0, description="how long a dropped member keeps their seat")
    ] = 30.0
    empty_room_ttl: Annotated[
        float, Meta(ge=0, description="how long an empty meeting's code keeps working")
    ] = 600.0
    stun_urls: Annotated[tuple[StunUrl, ...], Meta(description="STUN URLs handed to browsers")] = ()
    turn_urls: Annotated[
        tuple[TurnUrl, ...], Meta(description="TURN URLs handed to browsers, with credentials")
    ] = ()
    turn_secret: Annotated[
        str, Meta(description="secret shared with coturn's static-auth-secret")
    ] = field(default="", repr=False)
    turn_ttl: Annotated[int, Meta(ge=2, description="lifetime of TURN credentials, s")] = 3600
    turn_check: Annotated[
        bool, Meta(description="ask each UDP turn: URL for an allocation now and then, for metrics")
    ] = False
    turn_check_interval: Annotated[
        float, Meta(ge=1, description="seconds between two TURN allocation checks")
    ] = 60.0
    resume_secret: Annotated[
        str, Meta(description="signs resume tokens so a restart gives seats back; random if empty")
    ] = field(default="", repr=False)
    public_url: Annotated[
        str, Meta(description="origin browsers must come from; empty: any"), Check(rules.origin)
    ] = ""
    trusted_proxies: Annotated[
        tuple[str, ...],
        Meta(description="addresses whose X-Forwarded-For is believed"),
        Check(rules.networks),
    ] = ()
    connections_per_ip: Annotated[
        int, Meta(ge=1, description="open sockets per client address")
    ] = 32
    rooms_per_minute: Annotated[
        int, Meta(ge=1, description="room creations per client address per minute")
    ] = 20
    failed_joins_per_minute: Annotated[
        int,
        Meta(
            ge=1, description="failed joins (unknown, full, restoring room) per address per minute"
        ),
    ] = 20
    message_rate: Annotated[
        float, Meta(ge=1, description="frames per second per socket, sustained")
    ] = 50.0
    message_burst: Annotated[int, Meta(ge=1, description="frames per socket in a burst")] = 200
    byte_rate: Annotated[
        float, Meta(ge=1024, description="bytes per second per socket, sustained")
    ] = 128.0 * 1024
    byte_burst: Annotated[int, Meta(ge=64 * 1024, description="bytes per socket in a burst")] = (
        1024 * 1024
    )
    outbox_bytes: Annotated[
        int, Meta(ge=64 * 1024, description="bytes queued for a slow reader before it is closed")
    ] = 1024 * 1024
    idle_timeout: Annotated[
        float, Meta(ge=1, description="a socket outside any room is closed after this")
    ] = 60.0
    ping_interval: Annotated[
        float, Meta(ge=1, description="between WebSocket pings; two silent ones: dead")
    ] = 20.0
    shutdown_timeout: Annotated[
        float, Meta(ge=0, description="requests still running this long after SIGTERM are cut")
    ] = 5.0
    metrics_token: Annotated[
        str, Meta(description="bearer token /metrics asks for; empty: no /metrics")
    ] = field(default="", repr=False)
    certificate_endpoints: Annotated[
        tuple[str, ...],
        Meta(description="host:port whose TLS certificate expiry /metrics reports"),
        Check(rules.endpoints),
    ] = ()
    broker_url: Annotated[
        str,
        Meta(description="Redis shared by several instances; empty: one process"),
        Check(rules.broker),
    ] = field(default="", repr=False)  # may hold a password
    log_level: Annotated[
        Literal["debug", "info", "warning", "error"], Meta(description="least severe line logged")
    ] = "info"
    access: Annotated[
        Literal["open", "hosts"],
        Meta(description="who may start meetings: anyone, or signed-in hosts only"),
    ] = "open"
    state_dir: Annotated[
        str, Meta(description="folder of hosts.sqlite3, the hosts' passkeys; empty: none")
    ] = ""
    session_secret: Annotated[
        str, Meta(description="signs hosts' session cookies; random per process if empty")
    ] = field(default="", repr=False)
    host_session_ttl: Annotated[
        int, Meta(ge=60, le=90 * 86400, description="lifetime of a host's sign-in, s")
    ] = 7 * 86400
    auth_attempts_per_minute: Annotated[
        int, Meta(ge=1, description="sign-in and enrolment requests per client address per minute")
    ] = 20
    test_tamper_fingerprint: Annotated[
        bool, Meta(description="test-only: alter DTLS fingerprints in transit")
    ] = False

    @property
    def transport_max_bytes(self) -> int:
        """Frames up to this size are read and answered with `too-large`; bigger ones close."""
        return self.max_frame_bytes * 16


@dataclass(frozen=True)
class Declaration:
    """One setting as a field of `Settings` declares it, read back for loading and docs.

    `declared` is the field's full annotation (`Annotated[int, Meta(...)]`); `secret` is
    true for `repr=False` fields, whose values no message or log line repeats.
    """

    name: str  # the field: "seat_grace"
    variable: str  # its environment variable: "VISAVIS_SEAT_GRACE"
    declared: Any
    default: Any
    description: str
    secret: bool
    checks: tuple[Check, ...]


def declarations(settings_class: type[Settings] = Settings) -> tuple[Declaration, ...]:
    """Every setting of `settings_class` (Settings or a subclass), in field order."""
    hints = typing.get_type_hints(settings_class, include_extras=True)
    found = []
    for setting in dataclasses.fields(settings_class):
        declared = hints[setting.name]
        extras = declared.__metadata__ if typing.get_origin(declared) is Annotated else ()
        metas = [extra for extra in extras if isinstance(extra, Meta)]
        found.append(
            Declaration(
                name=setting.name,
                variable=ENV_PREFIX + setting.name.upper(),
                declared=declared,
                default=setting.default,
                description=next((m.description for m in metas if m.description), ""),
                secret=not setting.repr,
                checks=tuple(extra for extra in extras if isinstance(extra, Check)),
            )
        )
    return tuple(found)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from `environ` (default: os.environ); unset variables keep defaults.

    Every value, a default included, passes its type, bounds and checks; the first that
    does not raises ConfigError with a sentence naming its variable.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in declarations():
        raw = environ.get(setting.variable)
        try:
            value = setting.default if raw is None else _convert(raw, setting.declared)
            for check in setting.checks:
                value = check.rule(value)
        except _Refused as refused:
            shown = "the value" if setting.secret else repr(refused.text)
            raise ConfigError(
                f"{setting.variable}: {shown} is not accepted: expected {refused.expected}"
            ) from None
        except ValueError as error:  # a Check's phrase; Checks of secrets never quote them
            raise ConfigError(f"{setting.variable}: {error}") from None
        values[setting.name] = value
    settings = Settings(**values)
    _check_together(settings)
    return settings


class _Refused(ValueError):
    """`text` is not a value of the declared type; `expected` says what would be."""

    def __init__(self, text: str, expected: str) -> None:
        super().__init__(f"{text!r} is not accepted: expected {expected}")
        self.text = text
        self.expected = expected


def _convert(raw: str, declared: Any) -> Any:
    """`raw` as a value of the `declared` type (Meta bounds included); _Refused if not one."""
    kind = _bare(declared)
    if typing.get_origin(kind) is tuple:  # comma-separated, blanks ignored
        item = typing.get_args(kind)[0]
        return tuple(_convert(part.strip(), item) for part in raw.split(",") if part.strip())
    text = raw
    if kind is bool:
        text = _SWITCH_WORDS.get(raw.strip().lower(), raw.strip())
    elif typing.get_origin(kind) is Literal:
        text = raw.lower()
        if text not in typing.get_args(kind):
            raise _Refused(raw, f"one of {', '.join(typing.get_args(kind))}")
    elif kind is not str:
        text = raw.strip()
    try:
        return msgspec.convert(text, declared, strict=False, dec_hook=_from_text)
    except msgspec.ValidationError as error:
        # "Expected `int` >= 1" (", got `str`" says nothing here: the environment is text)
        expected = str(error).split(" - at ")[0].split(", got ")[0].removeprefix("Expected ")
        raise _Refused(raw, expected) from None


def _from_text(kind: type, text: Any) -> Any:
    """msgspec's hook for the types it cannot build from a string itself (Path)."""
    if kind is Path:
        return Path(text)
    raise NotImplementedError(kind)


def _bare(declared: Any) -> Any:
    """The type inside `Annotated[...]`, or `declared` itself."""
    return typing.get_args(declared)[0] if typing.get_origin(declared) is Annotated else declared


def _check_together(settings: Settings) -> None:
    """Rules between settings; ConfigError naming both variables."""
    if bool(settings.tls_cert) != bool(settings.tls_key):
        raise ConfigError(f"{ENV_PREFIX}TLS_CERT and {ENV_PREFIX}TLS_KEY must be set together")
    if settings.access == "hosts" and not (settings.state_dir or settings.broker_url):
        raise ConfigError(
            f"{ENV_PREFIX}ACCESS=hosts needs {ENV_PREFIX}STATE_DIR (or {ENV_PREFIX}BROKER_URL):"
            " the hosts' passkeys are kept there"
        )
    if settings.turn_urls and not settings.turn_secret:
        raise ConfigError(f"{ENV_PREFIX}TURN_SECRET must be set when {ENV_PREFIX}TURN_URLS is")
