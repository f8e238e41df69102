"""Client weight: what a browser downloads to render the home page, raw and gzipped.

Chromium opens the home page from the real server and every request it makes is counted
(Playwright's request and response events) until the network is idle. Sizes are of the
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


def measure(url: str) -> dict:
    from playwright.sync_api import sync_playwright

    requests: list[dict] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(ignore_https_errors=True)
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
            page.goto(f"{url}/", wait_until="networkidle")
            page.wait_for_selector("#new-meeting", state="visible")
            context.close()
        finally:
            browser.close()
    code = [r for r in requests if r["type"] in CODE_TYPES]

    def total(items: list[dict], key: str) -> int:
        return sum(item[key] for item in items)

    return {
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
            "page": "/",
            "server": "python -m signaling (plain HTTP on 127.0.0.1)",
            "from": str(server_dir or common.REPO_ROOT),
            **measure(server.url),
        }
