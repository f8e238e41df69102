"""VISAVIS_PUBLIC_URL spelled with capitals and the default port still lets the browser in;
one that does not match the page's address gets a sentence saying the server refused."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.steps import expect_remote_video_playing, join_by_link, on_server, start_meeting
from tests.loopback import free_port, make_certificate, signaling_server


def test_a_public_url_in_capitals_lets_the_browsers_in(open_page, tmp_path) -> None:
    port = free_port()
    env = {"VISAVIS_PUBLIC_URL": f"HTTPS://LocalHost:{port}/"}
    with signaling_server(tmp_path, tls=make_certificate(tmp_path), env=env, port=port) as server:
        server.url = f"https://localhost:{port}"
        host, code = start_meeting(on_server(open_page, server))
        guest = join_by_link(on_server(open_page, server), code)
        expect_remote_video_playing(guest)
        expect_remote_video_playing(host)


def test_a_refused_socket_is_explained(open_page, tmp_path) -> None:
    env = {"VISAVIS_PUBLIC_URL": "https://meet.example.org"}
    with signaling_server(tmp_path, tls=make_certificate(tmp_path), env=env) as server:
        page = on_server(open_page, server)("/")
        page.click("#new-meeting")
        # The lobby's socket, opened ahead, finds out before Join; Join is told again.
        expect(page.locator("#lobby-error")).to_contain_text("refused the connection")
        page.click("#join-now")
        expect(page.locator("#call-error")).to_contain_text("refused the connection")
        expect(page.locator("#call-error")).to_contain_text("VISAVIS_PUBLIC_URL")
