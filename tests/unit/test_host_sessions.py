"""The host cookie: signed, bounded in time, and worth nothing once tampered with."""

from __future__ import annotations

import time

from itsdangerous import TimestampSigner

from signaling.config import Settings
from signaling.host_sessions import SALT, HostSessions

SETTINGS = Settings(
    access="hosts", state_dir="unused", session_secret="x" * 32, host_session_ttl=60
)


def test_a_fresh_cookie_names_its_host():
    sessions = HostSessions(SETTINGS, None)
    assert sessions.host_id(sessions.cookie_value("host-1")) == "host-1"


def test_an_expired_cookie_names_nobody():
    class SignedLongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 61

    old = SignedLongAgo("x" * 32, salt=SALT).sign("host-1").decode()
    recent = TimestampSigner("x" * 32, salt=SALT).sign("host-1").decode()

    assert HostSessions(SETTINGS, None).host_id(old) is None
    assert HostSessions(SETTINGS, None).host_id(recent) == "host-1"


def test_another_secret_or_a_changed_id_names_nobody():
    ours = HostSessions(SETTINGS, None).cookie_value("host-1")
    theirs = TimestampSigner("y" * 32, salt=SALT).sign("host-1").decode()
    sessions = HostSessions(SETTINGS, None)

    assert sessions.host_id(theirs) is None
    assert sessions.host_id(ours.replace("host-1", "host-2")) is None
    assert sessions.host_id("") is None and sessions.host_id(None) is None


def test_without_a_secret_each_process_signs_with_its_own():
    unset = Settings(access="hosts", state_dir="unused")
    first, second = HostSessions(unset, None), HostSessions(unset, None)
    assert second.host_id(first.cookie_value("host-1")) is None
