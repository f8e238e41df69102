"""Meeting links and unknown paths get the same answers from `make run` (signaling serving
the client itself) and from the deployed site (the rendered nginx in front of signaling)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.loopback import free_port, make_certificate, signaling_server
from tests.nginx import nginx_in_front

CODE = "abcd-efgh-jkmn"
# Spellings of one meeting's link that people paste: each must land on /<code>.
SPELLINGS = [
    "/ABCD-EFGH-JKMN",
    "/abcdefghjkmn",
    f"/{CODE}/",
    f"/{CODE}.",
    "/abcd%20efgh%20jkmn",
    "/Abcd.Efgh_Jkmn",
]
UNKNOWN = ["/wp-admin", "/abcd-efgh-jkmo", "/js/missing.js", "/a/b/c", "/not-a-code."]


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> Iterator[dict[str, httpx.Client]]:
    """Two ways to the same client: signaling alone (as `make run`), and nginx in front."""
    workdir = tmp_path_factory.mktemp("site")
    tls = make_certificate(workdir)
    port = free_port()
    env = {"VISAVIS_METRICS_TOKEN": "metrics-token", "VISAVIS_TRUSTED_PROXIES": "127.0.0.1"}
    with (
        signaling_server(workdir, tls=tls, env=env) as direct,
        signaling_server(workdir, env=env) as upstream,
        nginx_in_front(workdir, [upstream.url.removeprefix("http://")], tls, port) as site,
    ):
        clients = {
            name: httpx.Client(base_url=url, verify=False, follow_redirects=False)
            for name, url in (("make run", direct.url), ("nginx", site))
        }
        yield clients
        for client in clients.values():
            client.close()


@pytest.mark.parametrize("site", ["make run", "nginx"])
def test_the_canonical_link_opens_the_app(sites, site):
    home = sites[site].get("/")

    opened = sites[site].get(f"/{CODE}?utm=chat")

    assert opened.status_code == 200 and opened.text == home.text
    assert 'src="/js/main.js"' in opened.text


@pytest.mark.parametrize("site", ["make run", "nginx"])
@pytest.mark.parametrize("path", SPELLINGS)
def test_another_spelling_of_a_link_is_redirected_to_the_canonical_one(sites, site, path):
    answer = sites[site].get(path + "?utm=chat")

    assert answer.status_code == 301, answer.text[:200]
    assert answer.headers["location"].endswith(f"/{CODE}?utm=chat")


@pytest.mark.parametrize("site", ["make run", "nginx"])
@pytest.mark.parametrize("path", UNKNOWN)
def test_an_unknown_path_gets_the_apps_own_page_with_a_way_home(sites, site, path):
    answer = sites[site].get(path)

    assert answer.status_code == 404
    assert "Page not found" in answer.text and 'href="/"' in answer.text


def test_both_give_the_same_answer_to_every_path(sites):
    def answer(site: str, path: str) -> tuple[int, str]:
        reply = sites[site].get(path)
        return reply.status_code, reply.headers.get("location", "").rpartition("/")[2]

    for path in ["/", f"/{CODE}", *SPELLINGS, *UNKNOWN]:
        assert answer("make run", path) == answer("nginx", path), path


def test_metrics_are_not_served_through_the_public_site(sites):
    bearer = {"Authorization": "Bearer metrics-token"}
    # Positive control: signaling itself serves them to a holder of the token.
    assert sites["make run"].get("/metrics", headers=bearer).status_code == 200

    through_nginx = sites["nginx"].get("/metrics", headers=bearer)

    assert through_nginx.status_code == 404 and "visavis_" not in through_nginx.text


@pytest.mark.parametrize("site", ["make run", "nginx"])
def test_the_connection_checks_ice_servers_are_answered_by_signaling(sites, site):
    # No file of that name: nginx hands the path, query and all, to signaling.
    answer = sites[site].get("/ice-servers", params={"room": CODE})

    assert answer.status_code == 200, answer.text[:200]
    assert answer.json() == {"ice_servers": []}  # none configured here
    assert answer.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("site", ["make run", "nginx"])
def test_the_installable_apps_files_have_their_types_and_the_worker_is_not_cached(sites, site):
    manifest = sites[site].get("/manifest.webmanifest")
    worker = sites[site].get("/sw.js")
    icon = sites[site].get("/icons/icon-192.png")

    assert manifest.status_code == 200
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    assert worker.status_code == 200 and "javascript" in worker.headers["content-type"]
    assert "no-cache" in worker.headers["cache-control"]
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/png"
    assert sites[site].get("/offline.html").status_code == 200
    if site == "nginx":  # the site's security headers are not lost in these locations
        assert "default-src 'self'" in worker.headers["content-security-policy"]
        assert "default-src 'self'" in manifest.headers["content-security-policy"]
