// The one-way freeze ICE does not see (media-stall.js): what counts as a stall, once per
// stall, and the ICE restart it asks for (ice-recovery.js through peer.js).
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {STALL_MS, StallWatch} from '../../frontend/js/media-stall.js';
import {Peer} from '../../frontend/js/peer.js';
import {FakePeerConnection} from './fakes.mjs';

const STEP = 2000; // facts.js reads the stats every 2 s

/** Feed `watch` samples every STEP ms from `start`; which of them reported a stall. */
function feed(watch, samples, {start = 0, connected = true} = {}) {
  return samples.map(([audioBytes, videoBytes], i) =>
    watch.sample({timestamp: start + i * STEP, audioBytes, videoBytes}, connected));
}

const still = (count, audio = 500, video = 9000) => Array(count).fill([audio, video]);

test('nothing new for STALL_MS from a side that says it sends is a stall, reported once', () => {
  const watch = new StallWatch();
  watch.remoteMedia({type: 'media', mic: true, camera: true});
  const reports = feed(watch, [[100, 1000], [300, 5000], ...still(STALL_MS / STEP + 3)]);
  // [300, 5000] then the first still sample at 4 s: the bytes last moved at 4 s.
  assert.deepEqual(reports.map((r, i) => (r ? i : -1)).filter((i) => i >= 0), [2 + STALL_MS / STEP]);
});

test('flowing again re-arms it: a second stall is reported too', () => {
  const watch = new StallWatch();
  watch.remoteMedia({mic: true, camera: false});
  const samples = [...still(5, 100), [200, 0], ...still(5, 200)];
  assert.equal(feed(watch, samples).filter(Boolean).length, 2);
});

test('no stall while what they say they send keeps arriving, or when they send nothing', () => {
  const flowing = new StallWatch();
  flowing.remoteMedia({mic: true, camera: true});
  // Video frozen but audio arriving: media arrives, ICE works; not ours.
  assert.deepEqual(feed(flowing, Array.from({length: 8}, (_, i) => [i * 100, 9000])).filter(Boolean), []);

  const silent = new StallWatch();
  silent.remoteMedia({mic: false, camera: false}); // muted, camera off (or no devices)
  assert.deepEqual(feed(silent, still(8)).filter(Boolean), []);

  const unknown = new StallWatch(); // their media message not here yet
  assert.deepEqual(feed(unknown, still(8)).filter(Boolean), []);
});

test('camera only: video bytes are what must move', () => {
  const watch = new StallWatch();
  watch.remoteMedia({mic: false, camera: true});
  // Audio moving (silence packets) while video is still: a stall of what they send.
  assert.equal(feed(watch, Array.from({length: 6}, (_, i) => [i * 100, 9000])).filter(Boolean).length, 1);
});

test('not connected is ICE recovery\'s business: the clock starts at its last sample', () => {
  const watch = new StallWatch();
  watch.remoteMedia({mic: true});
  assert.deepEqual(feed(watch, still(8), {connected: false}).filter(Boolean), []);
  const reports = feed(watch, still(5), {start: 8 * STEP}); // the last not connected: 7 * STEP
  assert.deepEqual(reports, [false, false, true, false, false]);
});

test('a stall restarts ICE while connected and stable, uncounted; never in mid-negotiation', () => {
  const pc = new FakePeerConnection();
  const peer = new Peer({polite: true, send: () => {},
    RTCPeerConnection: /** @type {any} */ (function () { return pc; })});
  pc.connectionState = 'connected';
  peer.mediaStalled();
  assert.equal(pc.iceRestarts, 1);
  peer.mediaStalled();
  peer.mediaStalled();
  assert.equal(pc.iceRestarts, 3, 'not counted: the budget is for a broken connection');
  pc.signalingState = 'have-local-offer';
  peer.mediaStalled();
  pc.signalingState = 'stable';
  pc.connectionState = 'disconnected';
  peer.mediaStalled();
  assert.equal(pc.iceRestarts, 3);
  peer.close();
});
