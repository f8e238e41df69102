"""Picture-in-picture: the control in the call's bar, Document Picture-in-Picture with mute
and hang-up that act on the call, the video element's own PiP where Document PiP is
missing, no control where neither exists, and Chromium's automatic PiP on leaving the tab."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.steps import CONNECTED, MEDIA_TIMEOUT, screenshot, start_call, start_meeting

NO_DOCUMENT_PIP = "delete window.documentPictureInPicture;"
NO_PIP = (
    NO_DOCUMENT_PIP
    + "delete HTMLVideoElement.prototype.requestPictureInPicture;"
    + "Object.defineProperty(Document.prototype, 'pictureInPictureEnabled', {get: () => false});"
)
# What Chromium is handed for the Media Session actions, kept where the test can call it.
RECORD_ACTIONS = """
window.mediaActions = {};
const setActionHandler = MediaSession.prototype.setActionHandler;
MediaSession.prototype.setActionHandler = function (action, handler) {
  window.mediaActions[action] = handler;
  return setActionHandler.call(this, action, handler);
};
"""

PIP_WINDOW = "documentPictureInPicture.window"


def pip_window(page: Page) -> Page:
    """The Document PiP window: Playwright lists it as a page of the opener's context."""
    page.wait_for_function(f"{PIP_WINDOW} !== null")
    windows = [other for other in page.context.pages if other is not page]
    assert len(windows) == 1, [other.url for other in page.context.pages]
    return windows[0]


def test_document_pip_shows_the_video_and_its_mute_and_hang_up_act_on_the_call(
    new_page,
) -> None:
    host, guest, _ = start_call(new_page)
    control = host.locator("#toggle-pip")
    expect(control).to_be_visible()
    expect(host.locator("#call-status")).to_have_text(CONNECTED)

    control.click()
    pip = pip_window(host)
    expect(control).to_have_attribute("aria-pressed", "true")
    # The other person's picture plays in the window, muted (the page plays their sound).
    pip.wait_for_function(
        """() => {
            const video = document.getElementById('pip-video');
            return video.videoWidth > 0 && video.muted && !video.paused &&
              video.srcObject === window.opener?.document.getElementById('remote-video').srcObject;
        }"""
    )
    pip.set_viewport_size({"width": 360, "height": 310})  # the size asked for; headless ignores it
    screenshot(pip, "picture-in-picture")

    pip.click("#pip-mute")
    expect(host.locator("#toggle-mic")).to_have_attribute("aria-pressed", "true")
    expect(guest.locator("#remote-mic-off")).to_be_visible()  # the other side sees it
    expect(pip.locator("#pip-mute")).to_have_attribute("aria-pressed", "true")
    pip.click("#pip-mute")
    expect(guest.locator("#remote-mic-off")).to_be_hidden()

    pip.click("#pip-hang-up")
    expect(host.locator("#left-view")).to_be_visible()
    host.wait_for_function(f"{PIP_WINDOW} === null")
    expect(guest.locator("#call-status")).to_have_text(
        "The other person left. You can wait here for someone to join."
    )


def test_closing_the_pip_window_leaves_the_call_as_it_was(new_page) -> None:
    host, _, _ = start_call(new_page)
    control = host.locator("#toggle-pip")
    control.click()
    host.wait_for_function(f"{PIP_WINDOW} !== null")
    control.click()  # the same control closes it
    host.wait_for_function(f"{PIP_WINDOW} === null")
    expect(control).to_have_attribute("aria-pressed", "false")
    host.click("#toggle-pip")
    host.wait_for_function(f"{PIP_WINDOW} !== null")
    expect(control).to_have_attribute("aria-pressed", "true")
    host.evaluate(f"{PIP_WINDOW}.close()")  # the window's own close button
    # The window closes a task or more later (seconds on a loaded machine).
    expect(control).to_have_attribute("aria-pressed", "false", timeout=MEDIA_TIMEOUT)
    expect(host.locator("#call-status")).to_have_text(CONNECTED)
    host.wait_for_function("!document.getElementById('remote-video').paused")


def test_without_document_pip_the_video_itself_floats(new_page) -> None:
    host, _, _ = start_call(new_page, init_script=NO_DOCUMENT_PIP)
    control = host.locator("#toggle-pip")
    control.click()
    host.wait_for_function(
        "document.pictureInPictureElement === document.getElementById('remote-video')"
    )
    expect(control).to_have_attribute("aria-pressed", "true")
    host.click("#hang-up")  # hanging up ends it too
    host.wait_for_function("document.pictureInPictureElement === null")


def test_no_control_where_the_browser_has_no_picture_in_picture(new_page) -> None:
    host, _, _ = start_call(new_page, init_script=NO_PIP)
    expect(host.locator("#call-status")).to_have_text(CONNECTED)
    expect(host.locator("#toggle-pip")).to_be_attached()  # the extras did load
    expect(host.locator("#toggle-pip")).to_be_hidden()


def test_no_control_before_the_other_person_is_there(new_page) -> None:
    host, _ = start_meeting(new_page)
    expect(host.locator("#waiting-extras")).to_be_visible()  # the extras did load
    expect(host.locator("#toggle-pip")).to_be_hidden()


def test_chromium_may_enter_pip_by_itself_while_the_call_is_connected(new_page) -> None:
    host, _, _ = start_call(new_page, init_script=RECORD_ACTIONS)
    host.wait_for_function("typeof window.mediaActions.enterpictureinpicture === 'function'")
    # What Chromium does when the person switches tabs: call the handler.
    host.evaluate("window.mediaActions.enterpictureinpicture()")
    host.wait_for_function(f"{PIP_WINDOW} !== null")
    host.click("#hang-up")
    host.wait_for_function(f"{PIP_WINDOW} === null")
    assert host.evaluate("window.mediaActions.enterpictureinpicture") is None
