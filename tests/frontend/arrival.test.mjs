// The other person arriving while this tab is hidden (arrival.js), driven with a stand-in
// session that emits what CallSession emits.
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {ArrivalWatch, SOUND_KEY, setSound, soundOn} from '../../frontend/js/arrival.js';

class FakeSession extends EventTarget {
  phase = 'joining';
  peerConnection = null;

  enter(phase) {
    this.phase = phase;
    this.dispatchEvent(new CustomEvent('phase', {detail: {phase}}));
  }

  waiting(key) {
    this.dispatchEvent(new CustomEvent('waiting', {detail: key}));
  }
}

function watch(session, {hidden = true} = {}) {
  const page = {hidden, announced: 0, cleared: 0};
  const arrival = new ArrivalWatch(session, {
    hidden: () => page.hidden,
    announce: () => { page.announced += 1; },
    clear: () => { page.cleared += 1; },
  });
  return {page, arrival};
}

test('someone joins while this person waits in a hidden tab: announced once', () => {
  const session = new FakeSession();
  const {page} = watch(session);
  session.enter('in-room');
  session.waiting('waiting');
  assert.equal(page.announced, 0);
  session.waiting(null);
  assert.equal(page.announced, 1);
  session.waiting(null); // the connection's later steps say it again
  assert.equal(page.announced, 1);
});

test('a visible tab is not announced to; it sees the call start', () => {
  const session = new FakeSession();
  const {page} = watch(session, {hidden: false});
  session.enter('in-room');
  session.waiting('waiting');
  session.waiting(null);
  assert.equal(page.announced, 0);
});

test('coming back to the tab clears the announcement, once', () => {
  const session = new FakeSession();
  const {page, arrival} = watch(session);
  session.enter('in-room');
  session.waiting('peerLeft');
  session.waiting(null);
  arrival.visibilityChanged(); // still hidden
  assert.equal(page.cleared, 0);
  page.hidden = false;
  arrival.visibilityChanged();
  arrival.visibilityChanged();
  assert.equal(page.cleared, 1);
});

test('hanging up while alone is no arrival', () => {
  const session = new FakeSession();
  const {page} = watch(session);
  session.enter('in-room');
  session.waiting('waiting');
  session.enter('ended');
  session.waiting(null); // what ending the call emits
  assert.equal(page.announced, 0);
});

test('loaded while already alone in the meeting, the arrival is still caught', () => {
  const session = new FakeSession();
  session.phase = 'in-room';
  const {page} = watch(session);
  session.waiting(null);
  assert.equal(page.announced, 1);
});

test('loaded while already in a call with someone, nothing is announced', () => {
  const session = new FakeSession();
  session.phase = 'in-room';
  session.peerConnection = {};
  const {page} = watch(session);
  session.waiting(null);
  assert.equal(page.announced, 0);
});

test('"sound on join" is on by default, remembered off, and on where storage is blocked', () => {
  const items = new Map();
  const storage = () => ({getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => items.set(key, value)});
  assert.equal(soundOn(storage), true);
  setSound(storage, false);
  assert.equal(items.get(SOUND_KEY), 'off');
  assert.equal(soundOn(storage), false);
  setSound(storage, true);
  assert.equal(soundOn(storage), true);
  const blocked = () => { throw new DOMException('blocked', 'SecurityError'); };
  assert.equal(soundOn(blocked), true);
  assert.doesNotThrow(() => setSound(blocked, false));
});
