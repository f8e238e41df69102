// While this tab is in a call it holds the shared Web Lock CALL_LOCK; the service worker
// (sw.js) does not let a new version take over while any tab of the site holds it, so an
// update never lands mid-call. Where the browser has no Web Locks, nothing is held.
import {onDetail} from './events.js';
import {inCall} from './phases.js';

/** The lock's name, the same in sw.js. */
export const CALL_LOCK = 'visavis-call';

/**
 * Hold CALL_LOCK from the moment `session` asks for a seat until the call is over.
 * @param {EventTarget} session a CallSession: its `phase` events ({phase: Phase})
 * @param {LockManager|undefined} [locks] navigator.locks
 */
export function holdCallLock(session, locks = globalThis.navigator?.locks) {
  /** @type {(() => void)|null} releases the lock held for the current call */
  let release = null;
  onDetail(session, 'phase', (/** @type {{phase: import('./phases.js').Phase}} */ {phase}) => {
    if (inCall(phase) && !release && locks) {
      const over = new Promise((resolve) => {
        release = () => resolve(undefined);
      });
      locks.request(CALL_LOCK, {mode: 'shared'}, () => over).catch(() => {});
    } else if (!inCall(phase) && release) {
      release();
      release = null;
    }
  });
}
