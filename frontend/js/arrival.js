// Whether the other person just arrived while this page was hidden, and the "sound on join"
// setting. DOM-free: node tests drive it with a stand-in session and visibility.

/** localStorage key; 'off' mutes the sound when someone joins. */
export const SOUND_KEY = 'visavis.joinSound';

/**
 * Calls `announce` when the other person arrives while this person waited alone and the
 * page is hidden; `clear` once the page is visible again. Whoever waits alone is told,
 * the host or a guest whose host stepped out.
 */
export class ArrivalWatch {
  #alone;
  #announced = false;
  #page;

  /**
   * @param {EventTarget & {phase: string, peerConnection: object|null}} session
   *   a CallSession: its `waiting` events (a strings.js key while alone, null once someone is here)
   * @param {{hidden: () => boolean, announce: () => void, clear: () => void}} page
   */
  constructor(session, page) {
    this.#page = page;
    // Loaded mid-call: alone if seated with no connection to anyone.
    this.#alone = session.phase === 'in-room' && !session.peerConnection;
    session.addEventListener('waiting', (event) => {
      const key = /** @type {CustomEvent} */ (event).detail;
      const arrived = this.#alone && !key && session.phase === 'in-room';
      this.#alone = Boolean(key);
      if (arrived && page.hidden()) {
        this.#announced = true;
        page.announce();
      }
    });
    session.addEventListener('phase', () => {
      if (session.phase !== 'in-room') this.#alone = false;
    });
  }

  /** The page became visible (or hidden): undo the announcement once it is seen. */
  visibilityChanged() {
    if (this.#page.hidden() || !this.#announced) return;
    this.#announced = false;
    this.#page.clear();
  }
}

/**
 * @param {() => Storage} storage localStorage (may throw when blocked: then on)
 * @returns {boolean} whether a sound plays when someone joins
 */
export function soundOn(storage) {
  try {
    return storage().getItem(SOUND_KEY) !== 'off';
  } catch {
    return true;
  }
}

/** Remember the choice on this device. @param {() => Storage} storage @param {boolean} on */
export function setSound(storage, on) {
  try {
    storage().setItem(SOUND_KEY, on ? 'on' : 'off');
  } catch {
    // Storage blocked: the choice lasts until the page is closed (the checkbox keeps it).
  }
}
