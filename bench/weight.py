"""Client weight: what a browser downloads, raw and gzipped, for two loads.

FIRST LOAD: the home page (`/`) until the network is idle, the budget's figure (docs/
performance.md). FULL: a meeting's address opened directly until its lobby shows and the
network is idle: the home page's files and everything the call loads with it.

Chromium opens each from the real server in a fresh profile and every request the page
makes is counted (Playwright's request and response events); the service worker's own
fetches (its shell copy, after the load) are not the page's. Sizes are of the
response bodies as served (the server does not compress); gzipped sizes are what gzip at
level 9 (e.g. nginx `gzip_static` with files compressed ahead) and at level 1 (nginx's
default `gzip_comp_level`) make of each body.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from urllib.parse import urlsplit

from . import common
from .callsetup import CHROMIUM, CHROMIUM_ARGS

CODE_TYPES = ("document", "script", "stylesheet")


MEETING = "/abcd-efgh-jkmn"  # any well-formed code: the lobby opens without the server


def measure(url: str, path: str = "/", ready: str = "#new-meeting") -> dict:
    """The requests of one load of `path` until the network is idle and `ready` shows."""
    from playwright.sync_api import sync_playwright

    requests: list[dict] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                ignore_https_errors=True, permissions=["camera", "microphone"]
            )
            page = context.new_page()

            def finished(request) -> None:
                response = request.response()
                body = response.body() if response else b""
                requests.append(
                    {
                        "path": urlsplit(request.url).path,
                        "type": request.resource_type,
                        "status": response.status if response else None,
                        "bytes": len(body),
                        "gzip9_bytes": len(gzip.compress(body, 9, mtime=0)),
                        "gzip1_bytes": len(gzip.compress(body, 1, mtime=0)),
                    }
                )

            page.on("requestfinished", finished)
            page.goto(f"{url}{path}", wait_until="networkidle")
            page.wait_for_selector(ready, state="visible")
            page.wait_for_load_state("networkidle")
            context.close()
        finally:
            browser.close()
    code = [r for r in requests if r["type"] in CODE_TYPES]

    def total(items: list[dict], key: str) -> int:
        return sum(item[key] for item in items)

    return {
        "page": path,
        "requests": len(requests),
        "requests_by_type": {
            kind: sum(1 for r in requests if r["type"] == kind)
            for kind in sorted({r["type"] for r in requests})
        },
        "html_js_css_bytes": total(code, "bytes"),
        "html_js_css_gzip9_bytes": total(code, "gzip9_bytes"),
        "html_js_css_gzip1_bytes": total(code, "gzip1_bytes"),
        "all_bytes": total(requests, "bytes"),
        "all_gzip9_bytes": total(requests, "gzip9_bytes"),
        "each": requests,
    }


def run(workdir: Path, broker: str | None = None, server_dir: Path | None = None) -> dict:
    with common.signaling_server(workdir, broker=broker, server_dir=server_dir) as server:
        return {
            "server": "python -m signaling (plain HTTP on 127.0.0.1)",
            "from": str(server_dir or common.REPO_ROOT),
            # The first load at the top level, as before (bench/report.py, bench/compare.py).
            **measure(server.url),
            "full": measure(server.url, MEETING, "#lobby-view"),
        }
