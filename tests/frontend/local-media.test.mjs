import assert from 'node:assert/strict';
import {test} from 'node:test';

import {LocalMedia} from '../../frontend/js/local-media.js';
import {FakeMediaDevices} from './fakes.mjs';

/** The parts of Peer local media talks to. */
function fakePeer() {
  return {replaced: [], control: [],
    replaceTrack(kind, track) { this.replaced.push([kind, track]); },
    sendControl(message) { this.control.push(message); }};
}

async function withStream(peer = fakePeer()) {
  const mediaDevices = new FakeMediaDevices();
  const media = new LocalMedia({mediaDevices, peer: () => peer});
  const request = media.request();
  media.settle(request, (await request).stream);
  return {media, mediaDevices, peer};
}

test('an answer that comes after a newer request or stop() is stopped, not used', async () => {
  const media = new LocalMedia({mediaDevices: new FakeMediaDevices()});
  const first = media.request();
  const second = media.request({video: 'cam-2'});
  const stale = (await first).stream;
  assert.equal(media.settle(first, stale), false);
  assert.ok(stale.getTracks().every((track) => track.stopped));
  const fresh = (await second).stream;
  assert.equal(media.settle(second, fresh), true);
  assert.equal(media.stream, fresh);

  media.stop();
  assert.equal(media.pending, null);
  assert.ok(fresh.getTracks().every((track) => track.stopped));
});

test('muting tells the other side at once', async () => {
  const {media, peer} = await withStream();
  media.toggle('audio');
  assert.deepEqual(media.state, {type: 'media', mic: false, camera: true});
  assert.deepEqual(peer.control, [{type: 'media', mic: false, camera: true}]);
});

test('another camera keeps the mute state and is sent without renegotiating', async () => {
  const {media, peer} = await withStream();
  const old = media.stream.getVideoTracks()[0];
  media.toggle('video');
  assert.equal(await media.switchDevice('video', 'cam-2'), true);
  const [track] = media.stream.getVideoTracks();
  assert.equal(track.deviceId, 'cam-2');
  assert.equal(track.enabled, false);
  assert.equal(old.stopped, true);
  assert.deepEqual(peer.replaced, [['video', track]]);
});

test('the shared screen replaces the camera; stopping it, or the browser ending it, restores it',
  async () => {
    const {media, peer} = await withStream();
    const camera = media.stream.getVideoTracks()[0];
    await media.startScreen(() => true);
    const screen = media.screen;
    assert.deepEqual(peer.replaced, [['video', screen]]);

    await media.switchDevice('video', 'cam-2'); // while sharing, the screen stays on
    assert.equal(peer.replaced.length, 1);
    screen.dispatchEvent(new Event('ended'));
    assert.equal(media.screen, null);
    assert.equal(screen.stopped, true);
    assert.deepEqual(peer.replaced.at(-1), ['video', media.stream.getVideoTracks()[0]]);
    assert.notEqual(media.stream.getVideoTracks()[0], camera);
  });

test('a screen picked after the call ended is dropped', async () => {
  const {media, peer} = await withStream();
  await media.startScreen(() => false);
  assert.equal(media.screen, null);
  assert.deepEqual(peer.replaced, []);
});
