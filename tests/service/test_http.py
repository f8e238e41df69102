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


def test_a_meeting_link_serves_the_app_and_other_spellings_lead_to_it(http):
    home = http.get("/").text

    response = http.get("/abcd-efgh-jkmn")
    assert response.status_code == 200 and response.text == home
    assert "<html" in home.lower()
    moved = http.get("/ABCDEFGHJKMN")
    assert moved.status_code == 301 and moved.headers["location"] == "/abcd-efgh-jkmn"


def test_a_path_that_is_not_a_meeting_code_is_not_found(http):
    for path in ("/wp-admin", "/abcd-efgh-jkmo"):  # `o` is not in the alphabet
        response = http.get(path)
        assert response.status_code == 404 and 'href="/"' in response.text, path


def test_the_client_modules_are_served(http):
    response = http.get("/js/main.js")

    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
