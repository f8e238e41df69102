// call-lock.js: the Web Lock the service worker looks for is held exactly while in a call.
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {CALL_LOCK, holdCallLock} from '../../frontend/js/call-lock.js';

/** navigator.locks as far as call-lock.js uses it: which locks are held now. */
class FakeLocks {
  held = new Set();
  request(name, options, callback) {
    assert.equal(options.mode, 'shared');
    this.held.add(name);
    return Promise.resolve(callback()).then(() => this.held.delete(name));
  }
}

const phase = (session, name) =>
  session.dispatchEvent(new CustomEvent('phase', {detail: {phase: name, room: null}}));
const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

test('the call lock is held from joining to the end of the call, then again next call', async () => {
  const session = new EventTarget();
  const locks = new FakeLocks();
  holdCallLock(session, /** @type {any} */ (locks));
  phase(session, 'lobby');
  assert.ok(!locks.held.has(CALL_LOCK), 'not in the lobby');
  phase(session, 'joining');
  phase(session, 'in-room');
  assert.ok(locks.held.has(CALL_LOCK));
  phase(session, 'ended');
  await settled();
  assert.ok(!locks.held.has(CALL_LOCK), 'released when the call is over');
  phase(session, 'joining');
  assert.ok(locks.held.has(CALL_LOCK), 'held again for a rejoin');
});

test('without Web Locks nothing breaks', () => {
  const session = new EventTarget();
  holdCallLock(session, undefined);
  phase(session, 'joining');
  phase(session, 'ended');
});
