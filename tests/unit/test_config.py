"""Configuration: VISAVIS_* variables; a wrong value stops start-up naming the variable."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from msgspec import Meta

from signaling.config import ConfigError, Settings, declarations, load_settings


def test_defaults_need_no_environment():
    settings = load_settings({})

    assert settings.port == 8443 and settings.seat_grace == 30 and settings.turn_urls == ()


def test_values_are_read_with_the_prefix():
    settings = load_settings(
        {
            "VISAVIS_PORT": "9000",
            "VISAVIS_SEAT_GRACE": "2.5",
            "VISAVIS_STUN_URLS": "stun:a.example:3478, stun:b.example:3478",
            "VISAVIS_TURN_URLS": "turns:a.example:5349?transport=tcp",
            "VISAVIS_TURN_SECRET": "x" * 32,
        }
    )

    assert settings.port == 9000 and settings.seat_grace == 2.5
    assert settings.stun_urls == ("stun:a.example:3478", "stun:b.example:3478")
    assert "x" * 32 not in repr(settings)  # the secret never reaches a log line


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"VISAVIS_PORT": "eighty"}, "VISAVIS_PORT"),
        ({"VISAVIS_PORT": "0"}, "VISAVIS_PORT"),
        ({"VISAVIS_SEAT_GRACE": "-1"}, "VISAVIS_SEAT_GRACE"),
        ({"VISAVIS_MAX_FRAME_BYTES": "10"}, "VISAVIS_MAX_FRAME_BYTES"),
        ({"VISAVIS_TURN_URLS": "turn:a.example"}, "VISAVIS_TURN_SECRET"),
        (
            {"VISAVIS_TURN_URLS": "http://a.example", "VISAVIS_TURN_SECRET": "s"},
            "VISAVIS_TURN_URLS",
        ),
        ({"VISAVIS_STUN_URLS": "turn:a.example"}, "VISAVIS_STUN_URLS"),
        ({"VISAVIS_TLS_CERT": "/nonexistent.pem"}, "VISAVIS_TLS_CERT"),
        ({"VISAVIS_TLS_CERT": "/etc/hostname", "VISAVIS_TLS_KEY": "/nope"}, "VISAVIS_TLS_KEY"),
        ({"VISAVIS_FRONTEND_DIR": "/nonexistent"}, "VISAVIS_FRONTEND_DIR"),
        ({"VISAVIS_TLS_CERT": "/etc/hostname"}, "VISAVIS_TLS_KEY must be set together"),
        ({"VISAVIS_PORT": "70000"}, "VISAVIS_PORT"),
        ({"VISAVIS_OUTBOX_BYTES": "1024"}, "VISAVIS_OUTBOX_BYTES"),
        ({"VISAVIS_PING_INTERVAL": "0"}, "VISAVIS_PING_INTERVAL"),
        ({"VISAVIS_MESSAGE_RATE": ""}, "VISAVIS_MESSAGE_RATE"),
        ({"VISAVIS_LOG_LEVEL": "verbose"}, "VISAVIS_LOG_LEVEL: 'verbose' is not accepted"),
        ({"VISAVIS_TEST_TAMPER_FINGERPRINT": "maybe"}, "VISAVIS_TEST_TAMPER_FINGERPRINT"),
        ({"VISAVIS_TRUSTED_PROXIES": "127.0.0.1, proxy"}, "VISAVIS_TRUSTED_PROXIES: 'proxy'"),
        ({"VISAVIS_PUBLIC_URL": "meet.example.org"}, "VISAVIS_PUBLIC_URL"),
        ({"VISAVIS_BROKER_URL": "http://broker.example"}, "VISAVIS_BROKER_URL"),
    ],
)
def test_a_bad_value_is_refused_with_the_variable_named(environ, named):
    with pytest.raises(ConfigError, match=named):
        load_settings(environ)


def test_a_secret_is_never_repeated_in_the_message():
    with pytest.raises(ConfigError, match="VISAVIS_BROKER_URL") as refused:
        load_settings({"VISAVIS_BROKER_URL": "http://user:hunter2@broker.example"})
    with pytest.raises(ConfigError, match="VISAVIS_PUBLIC_URL") as quoted:  # control
        load_settings({"VISAVIS_PUBLIC_URL": "ftp://user:hunter2@meet.example"})

    assert "hunter2" not in str(refused.value)
    assert "hunter2" in str(quoted.value)


def test_values_are_normalised_as_they_are_read():
    settings = load_settings(
        {
            "VISAVIS_PUBLIC_URL": "https://meet.example.org/room?x=1",
            "VISAVIS_LOG_LEVEL": "WARNING",
            "VISAVIS_TRUSTED_PROXIES": "127.0.0.1, ::1,,198.51.100.0/24",
            "VISAVIS_TEST_TAMPER_FINGERPRINT": "yes",
            "VISAVIS_PORT": " 9000 ",
        }
    )

    assert settings.public_url == "https://meet.example.org"
    assert settings.log_level == "warning"
    assert settings.trusted_proxies == ("127.0.0.1", "::1", "198.51.100.0/24")
    assert settings.test_tamper_fingerprint is True and settings.port == 9000


@pytest.mark.parametrize(("word", "on"), [("true", True), ("ON", True), ("0", False), ("", False)])
def test_a_switch_takes_the_usual_words(word, on):
    settings = load_settings({"VISAVIS_TEST_TAMPER_FINGERPRINT": word})

    assert settings.test_tamper_fingerprint is on


def _written(value: object) -> str:
    """A value as an environment variable would spell it."""
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def test_every_default_read_back_from_the_environment_is_the_default():
    environ = {d.variable: _written(d.default) for d in declarations()}

    assert load_settings(environ) == Settings()


def _minimums() -> list[tuple[str, float]]:
    found = []
    for setting in declarations():
        for extra in typing.get_args(setting.declared)[1:]:
            if isinstance(extra, Meta) and extra.ge is not None:
                found.append((setting.variable, extra.ge))
    return found


@pytest.mark.parametrize(("variable", "minimum"), _minimums())
def test_every_minimum_is_accepted_and_one_below_is_refused(variable, minimum):
    at_minimum = load_settings({variable: str(minimum)})  # control: the bound itself is fine
    with pytest.raises(ConfigError, match=f"{variable}: '{minimum - 1}' is not accepted"):
        load_settings({variable: str(minimum - 1)})

    assert at_minimum != Settings()


def test_every_setting_says_in_one_line_what_it_is():
    for setting in declarations():
        assert setting.description and "\n" not in setting.description, setting.variable


def test_the_default_client_directory_is_the_repository_one():
    assert load_settings({}).frontend_dir == Path(__file__).resolve().parents[2] / "frontend"


def test_the_command_line_entry_point_exits_with_the_message(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "signaling"],
        env={"VISAVIS_PORT": "eighty", "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode != 0
    assert "VISAVIS_PORT" in result.stderr
