"""Draw the app's PNG icons from its SVG design, once; the PNGs are committed.

    .venv/bin/python tools/icons.py

frontend/favicon.svg (the rounded square) becomes icons/icon-192.png and icon-512.png;
frontend/icons/maskable.svg (the same circles inside the maskable safe zone, the central
circle of 80 % diameter, on a full-bleed square) becomes icons/maskable-512.png. Chromium
(the tests' /usr/bin/chromium) draws them, so they look as the browser draws the SVG.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import sync_playwright

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
# (source SVG, PNG written, side in pixels)
ICONS = [
    ("favicon.svg", "icons/icon-192.png", 192),
    ("favicon.svg", "icons/icon-512.png", 512),
    ("icons/maskable.svg", "icons/maskable-512.png", 512),
]


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            for source, target, side in ICONS:
                page = browser.new_page(viewport={"width": side, "height": side})
                svg = (FRONTEND / source).read_text()
                style = "margin:0;background:transparent"
                page.set_content(
                    f'<body style="{style}"><img width="{side}" height="{side}" '
                    f'style="display:block" src="data:image/svg+xml,{quote(svg.strip())}"></body>'
                )
                page.wait_for_function("document.images[0].complete")
                page.screenshot(path=FRONTEND / target, omit_background=True)
                page.close()
                print(f"{target}: {side}x{side} from {source}")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
