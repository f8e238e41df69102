"""The real signaling server over HTTPS on a free loopback port, and Chromium with fake media."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Error, Page, Playwright, sync_playwright

from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.loopback import make_certificate, signaling_server


@pytest.fixture(scope="package")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server over HTTPS on a free loopback port, started as `make run` starts it."""
    workdir = tmp_path_factory.mktemp("server")
    with signaling_server(workdir, tls=make_certificate(workdir)) as server:
        yield server.url


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def open_page(browser: Browser):
    """Open a URL in a context of its own: each page is a person with their own tab and
    storage. For tests that start a server of their own."""
    contexts = []

    def open_url(url: str, init_script: str | None = None, **options) -> Page:
        """`options` go to the new context (e.g. a phone's viewport)."""
        context = browser.new_context(
            **{
                "ignore_https_errors": True,
                # Granted, Chromium gives real host candidates instead of mDNS names, which
                # nothing here resolves (there is no STUN or TURN in the test either).
                "permissions": ["camera", "microphone"],
                "viewport": {"width": 900, "height": 700},
                **options,
            }
        )
        contexts.append(context)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        try:
            page.goto(url)
        except Error as error:
            # The deployment suite, running beside this one in `make test`, adds and removes
            # bridges; Chromium aborts a navigation in flight when an interface changes.
            if "ERR_NETWORK_CHANGED" not in error.message:
                raise
            page.goto(url)
        return page

    yield open_url
    for context in contexts:
        context.close()


@pytest.fixture
def new_page(open_page, server_url: str):
    """Open a path of the shared server in a new context."""

    def open_path(path: str = "/", init_script: str | None = None, **options) -> Page:
        return open_page(f"{server_url}{path}", init_script, **options)

    return open_path
