// Which tab of this browser is in a meeting. A copy of the tab (Duplicate, or window.open of
// the meeting) starts with this tab's sessionStorage, resume token included; the Web Locks
// API tells the copy that the original is still there, while a reload finds the lock free
// (the old page released it as it went).

const lockName = (room) => `visavis.seat.${room}`;

/**
 * Holds at most one meeting's claim at a time, until release() or the page goes away.
 * Without the Web Locks API every claim succeeds (the behaviour before claims existed).
 */
export class SeatClaim {
  #locks;
  /** @type {{room: string, abort: AbortController, release: () => void}|null} */
  #attempt = null;

  /** @param {LockManager|undefined} [locks] navigator.locks */
  constructor(locks = globalThis.navigator?.locks) {
    this.#locks = locks;
  }

  /**
   * Hold `room`'s claim, waiting up to `waitMs` for another page to let it go.
   * @param {string} room @param {number} waitMs Infinity: wait for as long as it takes
   * @returns {Promise<boolean>} true once held here; false when another tab kept it, or
   *   when release() came first
   */
  async claim(room, waitMs) {
    if (!this.#locks) return true;
    if (this.#attempt?.room === room) return true;
    this.release();
    const attempt = {room, abort: new AbortController(), release: () => {}};
    this.#attempt = attempt;
    const timer = Number.isFinite(waitMs)
      ? setTimeout(() => attempt.abort.abort(), waitMs) : undefined;
    try {
      await new Promise((granted, refused) => {
        this.#locks?.request(lockName(room), {signal: attempt.abort.signal}, () => {
          granted(undefined);
          return new Promise((release) => {
            attempt.release = () => release(undefined);
          });
        }).catch(refused);
      });
      return this.#attempt === attempt;
    } catch {
      if (this.#attempt === attempt) this.#attempt = null;
      return false; // timed out or released: the lock was never ours
    } finally {
      clearTimeout(timer);
    }
  }

  /** Let the claim go (hung up, call over), or stop waiting for it. */
  release() {
    const attempt = this.#attempt;
    this.#attempt = null;
    attempt?.abort.abort();
    attempt?.release();
  }
}
