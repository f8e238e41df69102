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


def test_the_installable_apps_files_are_served_with_their_content_types(http):
    expected = {
        "/manifest.webmanifest": "application/manifest+json",
        "/sw.js": "text/javascript",
        "/offline.html": "text/html",
        "/icons/icon-192.png": "image/png",
        "/icons/maskable-512.png": "image/png",
    }
    for path, content_type in expected.items():
        response = http.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith(content_type), path
    # A new worker must be seen at the next visit: the browser may not keep sw.js.
    assert http.get("/sw.js").headers["cache-control"] == "no-cache"
    assert http.get("/manifest.webmanifest").json()["start_url"] == "/"
