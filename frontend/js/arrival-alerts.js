// Telling a person who waited in another tab that the other person arrived: the tab's
// title, a short tone (WebAudio, no sound file) and, where allowed, a system notification.
import {ArrivalWatch, soundOn} from './arrival.js';
import {strings} from './strings.js';

// The tone: two rising notes (Hz), each this long (s), quiet enough not to startle.
const NOTES = [660, 880];
const NOTE_S = 0.15;
const VOLUME = 0.2;

/** @type {AudioContext|null} made on first use, kept: Chromium limits how many a page makes */
let audio = null;

/** Two short sine notes through the default speaker; silent where WebAudio is missing. */
export function playJoinTone() {
  const Context = globalThis.AudioContext;
  if (!Context) return;
  const context = (audio ??= new Context());
  // Allowed: the person clicked on this page before (Join now), which lets audio start.
  context.resume().catch(() => {});
  const start = context.currentTime + 0.05;
  NOTES.forEach((frequency, index) => {
    const at = start + index * NOTE_S;
    const oscillator = new OscillatorNode(context, {frequency});
    const gain = new GainNode(context, {gain: 0});
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(VOLUME, at + 0.02); // no click at the edges
    gain.gain.linearRampToValueAtTime(0, at + NOTE_S);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(at);
    oscillator.stop(at + NOTE_S);
  });
}

/**
 * A system notification, if the person allowed them; clicking it brings this tab forward.
 * @returns {Notification|null} null where not allowed or not possible (Android's Chrome
 *   shows them only through a service worker, and throws)
 */
function notify() {
  if (globalThis.Notification?.permission !== 'granted') return null;
  try {
    const notification = new Notification(strings.arrivedNotice, {
      body: strings.arrivedBody, tag: 'visavis-arrival', icon: '/favicon.svg'});
    notification.addEventListener('click', () => {
      window.focus();
      notification.close();
    });
    return notification;
  } catch {
    return null;
  }
}

/**
 * Watch `session` for the other person arriving while this tab is hidden.
 * @param {import('./session.js').CallSession} session
 * @param {() => Storage} storage where "sound on join" is kept (arrival.js SOUND_KEY)
 */
export function bindArrivalAlerts(session, storage) {
  let title = document.title;
  /** @type {Notification|null} */
  let notification = null;
  const watch = new ArrivalWatch(session, {
    hidden: () => document.visibilityState === 'hidden',
    announce() {
      // A second arrival before the tab is seen keeps the title to come back to.
      if (document.title !== strings.arrivedTitle) title = document.title;
      document.title = strings.arrivedTitle;
      if (soundOn(storage)) playJoinTone();
      notification = notify();
    },
    clear() {
      document.title = title;
      notification?.close(); // seen: no need to keep it in the system's list
      notification = null;
    },
  });
  document.addEventListener('visibilitychange', () => watch.visibilityChanged());
}
