"""The home page loads only itself; the call's modules come when a meeting is near: at once
on a meeting's address, on pointing at "New meeting" or focusing the code field."""

from __future__ import annotations

from playwright.sync_api import Page, expect

CALL = ("/js/call.js", "/js/session.js", "/js/peer.js", "/js/signaling.js", "/js/lobby.js")


def scripts(page: Page) -> set[str]:
    """The paths of the scripts this page has fetched so far."""
    return set(
        page.evaluate(
            """performance.getEntriesByType('resource')
              .filter((e) => e.initiatorType === 'script' || e.initiatorType === 'link'
                || e.initiatorType === 'other')
              .map((e) => new URL(e.name).pathname)"""
        )
    )


def test_the_home_page_does_not_load_the_call(new_page) -> None:
    page = new_page("/")
    expect(page.locator("#new-meeting")).to_be_visible()
    page.wait_for_load_state("networkidle")

    loaded = scripts(page)
    assert "/js/main.js" in loaded and "/js/ui.js" in loaded  # the control: entries are seen
    assert not loaded & set(CALL), loaded & set(CALL)


def test_pointing_at_new_meeting_fetches_the_call_before_the_click(new_page) -> None:
    page = new_page("/")
    expect(page.locator("#new-meeting")).to_be_visible()

    page.hover("#new-meeting")
    page.wait_for_function("window.visavis !== undefined")  # call.js ran: the tests' handle
    assert set(CALL) <= scripts(page)
    expect(page.locator("#home-view")).to_be_visible()  # nothing happened but the fetch


def test_focusing_the_code_field_fetches_the_call(new_page) -> None:
    page = new_page("/")
    page.focus("#join-code")
    page.wait_for_function("window.visavis !== undefined")
    assert set(CALL) <= scripts(page)


def test_a_meetings_address_preloads_every_call_module_at_once(new_page) -> None:
    page = new_page("/abcd-efgh-jkmn")
    expect(page.locator("#lobby-view")).to_be_visible(timeout=10_000)

    preloaded = page.evaluate(
        """[...document.querySelectorAll('link[rel=modulepreload]')]
          .map((link) => new URL(link.href).pathname)"""
    )
    assert set(CALL) <= set(preloaded)
