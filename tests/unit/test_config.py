"""Configuration: VISAVIS_* variables; a wrong value stops start-up naming the variable."""

from __future__ import annotations

import pytest

from signaling.config import ConfigError, load_settings


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
    ],
)
def test_a_bad_value_is_refused_with_the_variable_named(environ, named):
    with pytest.raises(ConfigError, match=named):
        load_settings(environ)


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
