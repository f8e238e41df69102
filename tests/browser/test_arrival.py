"""The other person arrives while the host's tab is hidden: the tab's title changes until
the tab is seen again, a short tone plays (unless muted in the waiting view) and, where the
host allowed notifications, a system notification appears whose click brings the tab back."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.steps import expect_remote_video_playing, join_by_link, start_meeting

# Headless Chromium's tabs are always visible: the test decides (window.tabHidden). Tones
# started through WebAudio and notifications made are counted.
HOOKS = """
window.tabHidden = false;
Object.defineProperty(Document.prototype, 'visibilityState',
  {get: () => (window.tabHidden ? 'hidden' : 'visible')});
Object.defineProperty(Document.prototype, 'hidden', {get: () => window.tabHidden});
window.tones = 0;
const start = AudioScheduledSourceNode.prototype.start;
AudioScheduledSourceNode.prototype.start = function (...args) {
  if (this instanceof OscillatorNode) window.tones += 1;
  return start.apply(this, args);
};
window.notifications = [];
window.focusCalls = 0;
const focus = window.focus;
window.focus = function () { window.focusCalls += 1; return focus.call(this); };
const Real = window.Notification;
window.Notification = class extends Real {
  constructor(title, options) {
    super(title, options);
    window.notifications.push(this);
  }
};
"""
# Notifications not asked for yet ("default") until the page asks; the browser's answer then
# is the context's permission.
ASK_FIRST = """
window.asked = 0;
const requestPermission = Notification.requestPermission.bind(Notification);
Object.defineProperty(Notification, 'permission',
  {get: () => (window.asked ? Real.permission : 'default')});
Notification.requestPermission = () => { window.asked += 1; return requestPermission(); };
"""
TITLE = "visavis — private video calls"
ARRIVED = "● Someone joined — visavis"
MEDIA = ["camera", "microphone"]


def set_hidden(page: Page, hidden: bool) -> None:
    page.evaluate(
        "(hidden) => { window.tabHidden = hidden;"
        " document.dispatchEvent(new Event('visibilitychange')); }",
        hidden,
    )


def guest_arrives(new_page, host: Page, code: str) -> None:
    join_by_link(new_page, code)
    expect_remote_video_playing(host)


def test_a_hidden_host_is_told_by_title_and_tone_and_the_title_comes_back(new_page) -> None:
    host, code = start_meeting(new_page, init_script=HOOKS)
    expect(host.locator("#join-sound")).to_be_checked()
    expect(host).to_have_title(TITLE)
    set_hidden(host, True)

    guest_arrives(new_page, host, code)
    expect(host).to_have_title(ARRIVED)
    host.wait_for_function("window.tones === 2")  # two notes
    assert host.evaluate("window.notifications.length") == 0  # never allowed

    set_hidden(host, False)
    expect(host).to_have_title(TITLE)


def test_a_visible_host_gets_neither_title_nor_tone(new_page) -> None:
    host, code = start_meeting(new_page, init_script=HOOKS)
    guest_arrives(new_page, host, code)
    expect(host).to_have_title(TITLE)
    assert host.evaluate("window.tones") == 0


def test_muted_and_notifications_refused_the_title_alone_changes(new_page) -> None:
    host, code = start_meeting(new_page, init_script=HOOKS, permissions=MEDIA)
    host.uncheck("#join-sound")
    assert host.evaluate("localStorage.getItem('visavis.joinSound')") == "off"
    # Not granted, headless Chromium answers "denied" (as after a person said no): no
    # button to ask with, a sentence on where to allow them instead.
    assert host.evaluate("Notification.permission") == "denied"
    expect(host.locator("#notify-state")).to_contain_text("Notifications are blocked")
    expect(host.locator("#notify-on-join")).to_be_hidden()
    set_hidden(host, True)

    guest_arrives(new_page, host, code)
    expect(host).to_have_title(ARRIVED)  # the arrival was seen: the rest was held back
    host.wait_for_timeout(500)  # the tone is scheduled at once when it plays at all
    assert host.evaluate("window.tones") == 0
    assert host.evaluate("window.notifications.length") == 0


def test_an_allowed_notification_appears_and_its_click_brings_the_tab_back(new_page) -> None:
    host, code = start_meeting(
        new_page, init_script=HOOKS + ASK_FIRST, permissions=[*MEDIA, "notifications"]
    )
    expect(host.locator("#notify-on-join")).to_be_visible()
    assert host.evaluate("window.asked") == 0  # never on load
    host.click("#notify-on-join")
    expect(host.locator("#notify-state")).to_have_text("You get a notification when someone joins.")
    expect(host.locator("#notify-on-join")).to_be_hidden()
    assert host.evaluate("window.asked") == 1
    set_hidden(host, True)

    guest_arrives(new_page, host, code)
    host.wait_for_function("window.notifications.length === 1")
    assert host.evaluate("window.notifications[0].title") == "Someone joined your visavis call"
    assert host.evaluate("window.notifications[0].body") == "Click to go back to the call."
    host.evaluate("window.notifications[0].dispatchEvent(new Event('click'))")
    assert host.evaluate("window.focusCalls") == 1


def test_two_arrivals_before_the_tab_is_seen_give_the_title_back_all_the_same(new_page) -> None:
    host, code = start_meeting(new_page, init_script=HOOKS)
    expect(host.locator("#join-sound")).to_be_checked()
    set_hidden(host, True)
    first = join_by_link(new_page, code)
    expect(host).to_have_title(ARRIVED)
    first.click("#hang-up")
    expect(host.locator("#waiting-extras")).to_be_visible()  # alone again, still hidden

    guest_arrives(new_page, host, code)
    host.wait_for_function("window.tones === 4")  # two notes each time
    set_hidden(host, False)
    expect(host).to_have_title(TITLE)
