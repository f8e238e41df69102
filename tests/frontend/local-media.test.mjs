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

test('a device that went away: the system default takes over, with a notice', async () => {
  const {media, peer} = await withStream();
  const notices = [];
  media.addEventListener('notice', ({detail}) => notices.push(detail));
  const mic = media.stream.getAudioTracks()[0];
  media.toggle('audio'); // muted before: stays muted

  mic.end();
  await new Promise((resolve) => setImmediate(resolve));

  const [now] = media.stream.getAudioTracks();
  assert.notEqual(now, mic);
  assert.equal(now.enabled, false);
  assert.equal(now.deviceId, 'audio-1');
  assert.deepEqual(peer.replaced.at(-1), ['audio', now]);
  assert.deepEqual(notices, ['micSwitched']);
});

test('a device that went away with none to replace it: off, the other side told, a notice',
  async () => {
    const {media, mediaDevices, peer} = await withStream();
    const notices = [];
    media.addEventListener('notice', ({detail}) => notices.push(detail));
    mediaDevices.refuse = (kind) => (kind === 'video' ? 'NotFoundError' : null);

    media.stream.getVideoTracks()[0].end();
    await new Promise((resolve) => setImmediate(resolve));

    assert.equal(media.hasTrack('video'), false);
    assert.deepEqual(peer.replaced.at(-1), ['video', null]);
    assert.deepEqual(peer.control.at(-1), {type: 'media', mic: true, camera: false});
    assert.deepEqual(notices, ['cameraLost']);

    // Plugged in again: picked from the list, it is sent and the other side told.
    mediaDevices.refuse = () => null;
    assert.equal(await media.switchDevice('video', 'cam-2'), true);
    assert.equal(media.stream.getVideoTracks()[0].deviceId, 'cam-2');
    assert.deepEqual(peer.control.at(-1), {type: 'media', mic: true, camera: true});
  });

test('a track stopped on purpose is no device loss', async () => {
  const {media, mediaDevices} = await withStream();
  const asked = mediaDevices.streams.length;
  await media.switchDevice('video', 'cam-2'); // stops the old camera
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(mediaDevices.streams.length, asked + 1, 'only the switch asked for a camera');
});

test('a phone that opens one camera at a time: the old camera stops first, then the switch',
  async () => {
    const {media, mediaDevices, peer} = await withStream();
    mediaDevices.refuse = (kind, id, live) => (kind === 'video' && live.length
      ? 'NotReadableError' : null);
    const front = media.stream.getVideoTracks()[0];

    assert.equal(await media.switchDevice('video', 'back'), true);
    assert.equal(front.stopped, true);
    assert.equal(media.stream.getVideoTracks()[0].deviceId, 'back');
    assert.deepEqual(peer.replaced.at(-1), ['video', media.stream.getVideoTracks()[0]]);
  });

test('a camera that cannot be started: the one in use comes back, with a notice', async () => {
  const {media, mediaDevices} = await withStream();
  const notices = [];
  media.addEventListener('notice', ({detail}) => notices.push(detail));
  mediaDevices.refuse = (kind, id) => (id === 'broken' ? 'NotReadableError' : null);

  assert.equal(await media.switchDevice('video', 'broken'), false);
  const [camera] = media.stream.getVideoTracks();
  assert.equal(camera.deviceId, 'video-1');
  assert.equal(camera.stopped, false);
  assert.deepEqual(notices, ['cameraSwitchFailed']);
});
