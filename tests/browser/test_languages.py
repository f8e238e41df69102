"""Languages in real Chromium: the browser's language (Playwright `locale`) picks the page's,
the picker switches and is remembered, Arabic is laid out right to left with the videos
unmirrored, and the longest language fits a 390 px phone on every view."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import CODE, screenshot, start_call

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
I18N = "/js/i18n/"


def sentences(page: Page, tag: str) -> dict[str, str]:
    """The sentences the page is meant to show in `tag`, from the file the client loads."""
    return page.evaluate(
        """async (tag) => tag === 'en' ? {...(await import('/js/strings.js')).strings}
                                      : (await import(`/js/i18n/${tag}.js`)).default""",
        tag,
    )


def language_files(page: Page) -> list[str]:
    """Which language files (and language code: i18n.js, languages.js) the page fetched."""
    return page.evaluate(
        f"""performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)
             .filter((path) => path.startsWith('{I18N}') ||
                               ['/js/i18n.js', '/js/languages.js'].includes(path))"""
    )


def x_of(page: Page, selector: str) -> float:
    return page.evaluate(f"document.querySelector('{selector}').getBoundingClientRect().x")


@pytest.mark.parametrize(("locale", "tag"), [("de-DE", "de"), ("ja-JP", "ja"), ("ar-EG", "ar")])
def test_the_browser_language_is_the_page_language(new_page, locale: str, tag: str) -> None:
    page = new_page("/", locale=locale)
    text = sentences(page, tag)
    expect(page.locator("html")).to_have_attribute("lang", tag)
    expect(page.locator("#new-meeting")).to_have_text(text["newMeeting"])
    expect(page.locator("#join")).to_have_text(text["join"])
    expect(page.locator("label[for=join-code]")).to_have_text(text["joinLabel"])
    assert page.title() == text["title"]
    files = language_files(page)
    assert [path for path in files if path.startswith(I18N)] == [f"{I18N}{tag}.js"], files
    page.click("#new-meeting")
    expect(page.locator("#lobby-title")).to_have_text(text["lobbyTitle"])
    expect(page.locator("#join-now")).to_have_text(text["joinNow"])
    expect(page.locator("#lobby-meeting")).to_have_text(text["lobbyNew"])
    expect(page.locator("#lobby-view .language select")).to_have_value(tag)
    rtl = tag == "ar"
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if rtl else "ltr")
    # The mic toggle comes first: on the left in a left-to-right page, on the right in Arabic.
    assert (x_of(page, "#lobby-mic") > x_of(page, "#lobby-camera")) == rtl


def test_english_needs_no_language_file(new_page) -> None:
    page = new_page("/", locale="en-US")
    expect(page.locator("#new-meeting")).to_have_text("New meeting")
    expect(page.locator("#home-view .language select")).to_have_value("en")
    assert page.evaluate("getComputedStyle(document.body).direction") == "ltr"
    assert language_files(page) == [], "English: no language code or file on the first load"
    # Positive control: the resource list does show them once a language is picked.
    page.select_option("#home-view .language select", "de")
    expect(page.locator("#new-meeting")).to_have_text(sentences(page, "de")["newMeeting"])
    assert sorted(language_files(page)) == ["/js/i18n.js", f"{I18N}de.js", "/js/languages.js"]


def test_the_picker_switches_and_remembers_without_losing_the_lobby(new_page) -> None:
    page = new_page("/", locale="en-US")
    page.select_option("#home-view .language select", "ja")
    ja = sentences(page, "ja")
    expect(page.locator("#new-meeting")).to_have_text(ja["newMeeting"])
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    assert page.evaluate("localStorage.getItem('visavis.language')") == "ja"
    page.reload()
    expect(page.locator("#new-meeting")).to_have_text(ja["newMeeting"])
    page.click("#new-meeting")
    page.wait_for_function("document.getElementById('lobby-video').videoWidth > 0")
    stream_id = page.evaluate("document.getElementById('lobby-video').srcObject.id")
    expect(page.locator("#lobby-meeting")).to_have_text(ja["lobbyNew"])
    # Switching in the lobby: static and written texts change, the camera preview stays.
    page.select_option("#lobby-view .language select", "ar")
    ar = sentences(page, "ar")
    expect(page.locator("#join-now")).to_have_text(ar["joinNow"])
    expect(page.locator("#lobby-meeting")).to_have_text(ar["lobbyNew"])
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.evaluate("document.getElementById('lobby-video').srcObject.id") == stream_id
    assert page.evaluate("document.getElementById('lobby-video').srcObject.active")
    expect(page.locator("#home-view .language select")).to_have_value("ar")
    page.select_option("#lobby-view .language select", "en")
    expect(page.locator("#join-now")).to_have_text("Join now")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.reload()
    expect(page.locator("#lobby-title")).to_have_text("Ready to join?")


def test_a_sentence_with_a_value_is_written_again_in_the_new_order(new_page) -> None:
    """The lobby's "Meeting {code}": switching languages keeps the code and puts it where the
    new language's sentence has it (i18n.js `translated`)."""
    code = "abcd-efgh-jkmn"
    page = new_page(f"/{code}", locale="en-US")
    expect(page.locator("#lobby-meeting")).to_have_text(f"Meeting {code}")
    for tag in ("ja", "ar", "en"):
        page.select_option("#lobby-view .language select", tag)
        sentence = sentences(page, tag)["lobbyJoin"]
        expect(page.locator("#lobby-meeting")).to_have_text(sentence.replace("{code}", code))


OVERFLOWING = """() => {
  const root = document.documentElement;
  const wide = root.scrollWidth > root.clientWidth ? ['document'] : [];
  for (const el of document.querySelectorAll('button, label, select, h1, p')) {
    if (!el.checkVisibility() || el.closest('.controls span')) continue;
    if (el.scrollWidth > el.clientWidth + 1) wide.push(el.id || el.textContent.slice(0, 30));
  }
  return wide;
}"""


# How many rows the call's visible controls take.
CONTROL_ROWS = """[...document.querySelectorAll('.controls > button')]
  .filter((button) => button.checkVisibility())
  .reduce((tops, button) => tops.add(Math.round(button.getBoundingClientRect().top)), new Set())
  .size"""
# A phone's browser: no screen sharing (Chrome for Android, Safari on iOS).
NO_SCREEN_SHARING = "delete MediaDevices.prototype.getDisplayMedia;"


def test_a_small_phone_gets_one_row_of_the_controls_it_can_use(new_page) -> None:
    """360 px, touch only, no screen sharing: the screen button is not there (not a dead
    one), nor the keyboard shortcuts' help; what is left fits one row."""
    small = {**PHONE, "viewport": {"width": 360, "height": 740}}
    host, guest, _ = start_call(new_page, init_script=NO_SCREEN_SHARING, **small)
    for page in (host, guest):
        expect(page.locator("#toggle-screen")).to_be_hidden()
        expect(page.locator("#toggle-help")).to_be_hidden()
        expect(page.locator("#hang-up")).to_be_visible()
        assert page.evaluate(CONTROL_ROWS) == 1
    # Positive control: a narrower bar does wrap, and the count sees it.
    guest.evaluate("document.querySelector('.controls').style.width = '200px'")
    assert guest.evaluate(CONTROL_ROWS) > 1


def test_the_longest_language_fits_a_phone_on_every_view(new_page) -> None:
    probe = new_page("/")
    lengths = probe.evaluate(
        """async () => {
          const {LANGUAGES} = await import('/js/languages.js');
          const {strings} = await import('/js/strings.js');
          const totals = {};
          for (const tag of Object.keys(LANGUAGES)) {
            const table = tag === 'en' ? strings : (await import(`/js/i18n/${tag}.js`)).default;
            totals[tag] = Object.values(table).join('').length;
          }
          return totals;
        }"""
    )
    longest = max(lengths, key=lengths.get)
    assert longest != "en" and lengths[longest] > lengths["en"], lengths
    script = f"localStorage.setItem('visavis.language', '{longest}')"
    host, guest, _ = start_call(new_page, init_script=script, **PHONE)
    text = sentences(guest, longest)
    expect(guest.locator("#hang-up span")).to_have_text(text["hangUp"])
    assert host.evaluate(OVERFLOWING) == []
    assert guest.evaluate(OVERFLOWING) == []
    assert guest.evaluate(CONTROL_ROWS) == 1, "the call's controls wrap at 390 px"
    guest.click("#toggle-facts")
    guest.click("#toggle-chat")
    assert guest.evaluate(OVERFLOWING) == []
    home = new_page("/", script, **PHONE)
    expect(home.locator("#new-meeting")).to_have_text(text["newMeeting"])
    assert home.evaluate(OVERFLOWING) == []
    home.click("#new-meeting")
    home.wait_for_function("document.getElementById('lobby-video').videoWidth > 0")
    home.click("#check-connection")
    assert home.evaluate(OVERFLOWING) == []
    # Positive control: the check does see an element wider than its box.
    home.evaluate(
        "document.getElementById('join-now').style.cssText = 'width:60px;white-space:pre'"
    )
    assert "join-now" in home.evaluate(OVERFLOWING)


def transform(page: Page, selector: str) -> str:
    return page.evaluate(f"getComputedStyle(document.querySelector('{selector}')).transform")


def test_an_arabic_call_is_mirrored_but_its_videos_and_code_are_not(new_page) -> None:
    host, guest, code = start_call(new_page, locale="ar", viewport={"width": 1280, "height": 720})
    ar = sentences(host, "ar")
    expect(host.locator("html")).to_have_attribute("dir", "rtl")
    expect(host.locator("#hang-up span")).to_have_text(ar["hangUp"])
    # Controls in mirrored order: the first (mic) on the right, hang up on the left.
    assert x_of(host, "#toggle-mic") > x_of(host, "#hang-up")
    # The self-view moves to the other corner but keeps its selfie mirror; the other
    # person's video is never flipped by the page direction.
    assert x_of(host, "#local-video") < 640
    assert transform(host, "#remote-video") == "none"
    assert transform(host, "#local-video") == "matrix(-1, 0, 0, 1, 0, 0)"
    for selector in ("#meeting-code", "#share-link", "#verification-code"):
        assert (
            host.evaluate(f"getComputedStyle(document.querySelector('{selector}')).direction")
            == "ltr"
        ), selector
    expect(host.locator("#meeting-code")).to_have_text(CODE)
    screenshot(guest, "call-rtl")


def test_a_japanese_call(new_page) -> None:
    host, guest, _ = start_call(new_page, locale="ja", viewport={"width": 1280, "height": 720})
    ja = sentences(guest, "ja")
    expect(guest.locator("html")).to_have_attribute("lang", "ja")
    expect(guest.locator("#toggle-mic span")).to_have_text(ja["toggleMic"])
    expect(host.locator("#call-status")).to_have_text(ja["connected"])
    screenshot(guest, "call-cjk")
