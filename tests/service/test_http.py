"""The HTTP side: health check, the client's files and deep links."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def http(server: str):
    with httpx.Client(base_url=server.replace("ws://", "http://")) as client:
        yield client


def test_healthz_answers_ok(http):
    response = http.get("/healthz")

    assert response.status_code == 200 and response.text == "ok"


def test_a_meeting_link_serves_the_app_in_any_spelling(http):
    home = http.get("/").text

    for path in ("/abcd-efgh-jkmn", "/ABCDEFGHJKMN"):
        response = http.get(path)
        assert response.status_code == 200 and response.text == home, path
    assert "<html" in home.lower()


def test_a_path_that_is_not_a_meeting_code_is_not_found(http):
    assert http.get("/wp-admin").status_code == 404
    assert http.get("/abcd-efgh-jkmo").status_code == 404  # `o` is not in the alphabet


def test_the_client_modules_are_served(http):
    response = http.get("/js/main.js")

    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
